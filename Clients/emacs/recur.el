;;; recur.el --- Recur completion through eglot  -*- lexical-binding: t -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1") (eglot "1.7") (jsonrpc "1.0.9"))
;; Keywords: convenience, completion

;;; Commentary:

;; Recur is a local completion daemon speaking LSP (`recur serve').  This
;; file registers it with eglot, so `completion-at-point', company (through
;; company-capf) and corfu offer its completions with no further setup, and
;; adds:
;;   - `recur-ghost-mode': inline completion shown as an overlay after point;
;;     TAB accepts it, M-f accepts one word, C-g dismisses it (the keys act
;;     only while ghost text is shown);
;;   - `recur-status', `recur-set-profile', `recur-adapt' (progress in the
;;     echo area and the mode line) and `recur-cancel-adapt';
;;   - `recur-set-online-learning', `recur-toggle-online-learning' and
;;     `recur-sync-online-learning': learning from what you type.
;;
;;   (require 'recur)
;;   (recur-setup)              ; Recur for text-mode and prog-mode buffers
;;   (add-hook 'text-mode-hook #'eglot-ensure)
;;   (add-hook 'eglot-managed-mode-hook #'recur-ghost-mode-maybe)

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'eglot)
(require 'jsonrpc)

(defgroup recur nil
  "Recur, a local completion daemon, through eglot."
  :group 'completion
  :prefix "recur-")

(defcustom recur-program "recur"
  "The recur binary (a name on `exec-path' or an absolute file name)."
  :type 'string)

(defcustom recur-modes '(text-mode prog-mode)
  "Major modes (and the modes derived from them) that eglot starts Recur for."
  :type '(repeat symbol))

(defcustom recur-initialization-options nil
  "A plist sent as LSP initializationOptions.
For example (:n 6 :temperature 0.7 :maxChars 40).  Keys: :n, :temperature,
:topK, :topP, :maxChars, :model, :checkpointBudget, :profile."
  :type 'plist)

(defcustom recur-profile nil
  "The profile to start with (initializationOptions.profile).
nil lets Recur choose: the project's root."
  :type '(choice (const nil) string))

(defcustom recur-online-learning t
  "Non-nil lets Recur learn from what you type.
nil starts each connection with learning off: it sends
initializationOptions.onlineLearning false.
`recur-set-online-learning' turns it on or off later.  t sends nothing, so
`recur serve --no-online-learning' still turns learning off.  An
:onlineLearning key in `recur-initialization-options' takes precedence."
  :type 'boolean)

(defcustom recur-learn-from-open-documents nil
  "Non-nil lets Recur also learn from documents' text as they are opened.
Sent as initializationOptions.learnFromOpenDocuments when non-nil."
  :type 'boolean)

(defcustom recur-sync-timeout 120
  "Seconds `recur-sync-online-learning' waits for Recur to learn and save."
  :type 'number)

(defcustom recur-ghost-delay 0.1
  "Seconds of quiet typing before `recur-ghost-mode' asks for ghost text."
  :type 'number)

(defface recur-ghost-face '((t :inherit shadow))
  "Face of the ghost text.")

(defvar recur-adapt-finished-hook nil
  "Functions called with the `recur/adaptFinished' plist when adapting ends.")

(defvar recur-adapt-progress-functions nil
  "Functions called with each `$/progress' value plist of a `recur-adapt' job.
The plist has :kind (begin, report, end), :message and :percentage.")

(defvar recur-last-adapt nil
  "The last `recur/adaptFinished' notification, as a plist.")
(defvar recur--adapt-job nil
  "The running adaptation: (:id :token :profile :message :percentage).")
(defvar recur--token-counter 0)
(defvar recur-last-online-learning nil
  "The last online learning status Recur reported, as a plist.")

;;; Eglot registration

(defclass recur-eglot-server (eglot-lsp-server) ()
  :documentation "A connection to `recur serve'.")

(defun recur--initialization-options (_server)
  "The initializationOptions: `recur-initialization-options', `recur-profile'.
The learning settings are sent only where they differ from Recur's defaults."
  (let ((options (copy-sequence recur-initialization-options)))
    (when recur-profile
      (setq options (plist-put options :profile recur-profile)))
    (unless (or recur-online-learning (plist-member options :onlineLearning))
      (setq options (plist-put options :onlineLearning :json-false)))
    (when (and recur-learn-from-open-documents
               (not (plist-member options :learnFromOpenDocuments)))
      (setq options (plist-put options :learnFromOpenDocuments t)))
    (or options (make-hash-table))))

(defun recur--contact (&optional _interactive)
  "The eglot contact for Recur."
  (list 'recur-eglot-server recur-program "serve"
        :initializationOptions #'recur--initialization-options))

;;;###autoload
(defun recur-setup (&optional modes first)
  "Register Recur in `eglot-server-programs' for MODES (default `recur-modes').
The entry goes last, so servers already registered for a mode keep it; with
FIRST, Recur takes precedence."
  (let ((entry (cons (or modes recur-modes) #'recur--contact))
        (others (cl-remove #'recur--contact eglot-server-programs :key #'cdr)))
    (setq eglot-server-programs
          (if first (cons entry others) (append others (list entry))))))

;;; Requests

(defun recur--server ()
  "The Recur server of the current buffer, else any live one.
Signals a `user-error' when none runs."
  (let ((current (ignore-errors (eglot-current-server))))
    (if (cl-typep current 'recur-eglot-server)
        current
      (or (cl-loop for servers
                   being the hash-values of eglot--servers-by-project
                   thereis (cl-find-if
                            (lambda (s) (and (cl-typep s 'recur-eglot-server)
                                             (jsonrpc-running-p s)))
                            servers))
          (user-error "Recur is not running: open a file and M-x eglot \
(after `recur-setup')")))))

(defun recur--error-text (method err)
  "A message for METHOD's JSON-RPC error ERR (a `jsonrpc-error' condition)."
  (let* ((data (cdr err))
         (code (alist-get 'jsonrpc-error-code data))
         (message (or (alist-get 'jsonrpc-error-message data)
                      (format "%S" err))))
    (if (eql code -32601)
        (format "%s failed: %s (this recur does not support %s: \
install a newer recur)" method message method)
      (format "%s failed: %s" method message))))

(defun recur--request (method params &optional timeout)
  "Send METHOD (a string) with PARAMS to Recur and return the result.
Waits TIMEOUT seconds (default: jsonrpc's).  Errors become a `user-error'
that says what went wrong."
  (condition-case err
      (apply #'jsonrpc-request (recur--server) (intern (concat ":" method))
             params (and timeout (list :timeout timeout)))
    (jsonrpc-error (user-error "%s" (recur--error-text method err)))))

(defun recur--online-learning-p (state)
  "Non-nil when STATE, an online learning status, says learning is on.
STATE is a plist, or t or :json-false from a recur that sends a boolean."
  (if (consp state) (eq (plist-get state :enabled) t) (eq state t)))

(defun recur--online-learning-text (state)
  "One line about STATE, an online learning status; nil when STATE is nil."
  (cond
   ((null state) nil)
   ((not (consp state))
    (format "online learning: %s" (if (recur--online-learning-p state) "on" "off")))
   (t
    (let ((count (lambda (key) (truncate (or (plist-get state key) 0)))))
      (concat
       (format "online learning: %s, %d bytes learned in %d updates, \
%d bytes pending, %d queued, %d skipped as secrets"
               (if (recur--online-learning-p state) "on" "off")
               (funcall count :bytesLearned) (funcall count :updates)
               (funcall count :bytesPending) (funcall count :bytesQueued)
               (funcall count :bytesSkippedSecrets))
       (when (> (funcall count :bytesSkippedBudget) 0)
         (format ", %d over the paste budget"
                 (funcall count :bytesSkippedBudget)))
       (when (eq (plist-get state :learnFromOpenDocuments) t)
         ", learning from open documents")
       (when-let ((reason (plist-get state :saveError)))
         (format "; not saved: %s" reason)))))))

;;;###autoload
(defun recur-status ()
  "Show Recur's model, documents, memory, latency and profile.
Returns the `recur/status' result as a plist."
  (interactive)
  (let* ((status (recur--request "recur/status" nil))
         (model (plist-get status :model))
         (latency (plist-get status :completionLatency))
         (profile (plist-get status :profile))
         (lines
          (list (if model
                    (format "model: %s, %s, %s" (plist-get model :name)
                            (plist-get model :architecture)
                            (plist-get model :precision))
                  (format "no model: %s" (plist-get status :modelError)))
                (format "open documents: %d, memory: %.1f MB, encoding: %s"
                        (plist-get status :openDocuments)
                        (/ (plist-get status :residentMemoryBytes) 1e6)
                        (plist-get status :positionEncoding))
                (and latency (> (plist-get latency :count) 0)
                     (format "latency: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms \
(%d requests)"
                             (plist-get latency :p50Milliseconds)
                             (plist-get latency :p95Milliseconds)
                             (plist-get latency :p99Milliseconds)
                             (plist-get latency :count)))
                (and profile
                     (format "profile: %s (%s)" profile
                             (if-let ((adapter (plist-get status :adapterId)))
                                 (format "adapter %s" adapter)
                               "base model")))
                (recur--online-learning-text
                 (plist-get status :onlineLearning))
                (recur-mode-line-string))))
    (when (plist-get status :onlineLearning)
      (setq recur-last-online-learning (plist-get status :onlineLearning)))
    (dolist (warning (append (plist-get status :storeWarnings) nil))
      (setq lines (append lines (list (concat "warning: " warning)))))
    (message "Recur: %s" (string-join (delq nil lines) "\n"))
    status))

;;;###autoload
(defun recur-set-online-learning (enabled)
  "Turn learning from what you type on (ENABLED non-nil) or off.
It applies to this connection.  Interactively, a positive prefix argument
turns it on, zero or negative off; with none, asks.  Returns the online
learning status plist."
  (interactive
   (list (if current-prefix-arg
             (> (prefix-numeric-value current-prefix-arg) 0)
           (y-or-n-p "Recur: learn from what you type? "))))
  (let ((state (recur--request "recur/setOnlineLearning"
                               (list :enabled (if enabled t :json-false)))))
    (setq recur-last-online-learning state)
    (message "Recur: %s" (recur--online-learning-text state))
    state))

;;;###autoload
(defun recur-toggle-online-learning ()
  "Turn learning from what you type off if it is on, else on.
Returns the online learning status plist."
  (interactive)
  (recur-set-online-learning
   (not (recur--online-learning-p
         (plist-get (recur--request "recur/status" nil) :onlineLearning)))))

;;;###autoload
(defun recur-sync-online-learning ()
  "Have Recur learn everything typed so far now, and save what it learned.
Sends the pending edits of every buffer, then waits (at most
`recur-sync-timeout' seconds) until the new weights are in use.  Returns the
online learning status plist."
  (interactive)
  (let ((server (recur--server)))
    (dolist (buffer (eglot--managed-buffers server))
      (with-current-buffer buffer (eglot--signal-textDocument/didChange))))
  (let ((state (recur--request "recur/syncOnlineLearning" (make-hash-table)
                               recur-sync-timeout)))
    (setq recur-last-online-learning state)
    (message "Recur: synced; %s%s" (recur--online-learning-text state)
             (if-let ((saved (plist-get state :savedAt)))
                 (format ", saved %s" saved)
               ""))
    state))

;;;###autoload
(defun recur-set-profile (profile)
  "Switch this connection to PROFILE (its active adapter, or the base model)."
  (interactive "sRecur profile: ")
  (let ((result (recur--request "recur/setProfile" (list :profile profile))))
    (message "Recur: profile %s (%s)" (plist-get result :profile)
             (if-let ((adapter (plist-get result :adapterId)))
                 (format "adapter %s" adapter)
               "base model"))
    result))

;;;###autoload
(defun recur-adapt (&optional paths profile steps)
  "Fine-tune PROFILE on PATHS (files or directories) in the background.
PROFILE defaults to the connection's, PATHS to the text of every open
document; STEPS bounds the training.  Progress shows in the echo area and the
mode line, and `recur-adapt-finished-hook' runs at the end.  Interactively,
asks for a file or directory (empty: the open buffers)."
  (interactive
   (let ((path (read-file-name
                "Adapt to file or directory (empty for the open buffers): "
                nil "" nil)))
     (list (unless (string-empty-p path) (list path)))))
  (let* ((token (format "recur-emacs-%d-%d" (emacs-pid)
                        (cl-incf recur--token-counter)))
         (params (append (list :workDoneToken token)
                         (if paths
                             (list :paths (vconcat (mapcar #'expand-file-name
                                                           paths)))
                           (list :openDocuments t))
                         (and profile (list :profile profile))
                         (and steps (list :steps steps))))
         (previous recur--adapt-job)
         (result nil))
    ;; Progress may arrive before the answer: the job is known by its token.
    (setq recur--adapt-job (list :token token :message "starting"))
    (condition-case err
        (setq result (recur--request "recur/adapt" params))
      (error (setq recur--adapt-job previous)
             (signal (car err) (cdr err))))
    (setq recur--adapt-job
          (if (equal (format "%s" (plist-get recur-last-adapt :jobId))
                     (format "%s" (plist-get result :jobId)))
              previous                  ; it finished before its answer came
            (plist-put (plist-put (plist-put recur--adapt-job :id
                                             (plist-get result :jobId))
                                  :token (or (plist-get result :token) token))
                       :profile (plist-get result :profile))))
    (add-to-list 'mode-line-misc-info '(:eval (recur-mode-line-string)))
    (message "Recur: adapting profile %s (job %s)" (plist-get result :profile)
             (plist-get result :jobId))
    result))

(defun recur-cancel-adapt ()
  "Cancel the running adaptation."
  (interactive)
  (unless recur--adapt-job (user-error "Recur: no adaptation is running"))
  (recur--request "recur/cancelAdapt"
                  (list :jobId (plist-get recur--adapt-job :id)))
  (message "Recur: cancelling"))

(defun recur-mode-line-string ()
  "The running adaptation's progress, for the mode line, or nil."
  (when recur--adapt-job
    (concat "Recur adapt: " (or (plist-get recur--adapt-job :message) "")
            (when-let ((percentage (plist-get recur--adapt-job :percentage)))
              (format " (%d%%)" percentage)))))

(cl-defmethod eglot-handle-notification
  ((_server recur-eglot-server) (_method (eql $/progress))
   &key token value &allow-other-keys)
  "Show the progress of `recur-adapt' jobs; other progress goes to eglot."
  (if (not (and recur--adapt-job
                (equal token (plist-get recur--adapt-job :token))))
      (condition-case nil (cl-call-next-method) (cl-no-next-method nil))
    (setq recur--adapt-job
          (plist-put recur--adapt-job :message
                     (or (plist-get value :message) (plist-get value :title)
                         (plist-get recur--adapt-job :message))))
    (when (plist-get value :percentage)
      (setq recur--adapt-job (plist-put recur--adapt-job :percentage
                                        (plist-get value :percentage))))
    (unless (equal (plist-get value :kind) "end")
      (let ((message-log-max nil)) (message "%s" (recur-mode-line-string))))
    (force-mode-line-update t)
    (run-hook-with-args 'recur-adapt-progress-functions value)))

(cl-defmethod eglot-handle-notification
  ((_server recur-eglot-server) (_method (eql recur/adaptFinished))
   &rest params &key jobId profile outcome message valLossBefore valLossAfter
   &allow-other-keys)
  "Report the end of an adaptation and run `recur-adapt-finished-hook'."
  (when (and recur--adapt-job
             (equal (format "%s" jobId)
                    (format "%s" (plist-get recur--adapt-job :id))))
    (setq recur--adapt-job nil))
  (setq recur-last-adapt params)
  (message "Recur: adapt %s: %s%s%s" profile outcome
           (if (and valLossBefore valLossAfter)
               (format " (validation loss %.4f -> %.4f)"
                       valLossBefore valLossAfter)
             "")
           (if (and message (not (string-empty-p message)))
               (concat ": " message)
             ""))
  (force-mode-line-update t)
  (run-hook-with-args 'recur-adapt-finished-hook params))

;;; Ghost text

(defvar-local recur--ghost-overlay nil)
(defvar-local recur--ghost-text nil "The ghost text shown, or nil.")
(defvar-local recur--ghost-tick nil
  "`buffer-chars-modified-tick' when the ghost text was shown.")
(defvar-local recur--ghost-point nil)
(defvar-local recur--ghost-generation 0
  "Bumped by every edit and dismissal; answers to older requests are dropped.")
(defvar-local recur--ghost-timer nil)
(defvar-local recur--ghost-last-tick nil)

(defun recur-ghost-visible-p ()
  "Non-nil when ghost text is shown at point."
  (and recur--ghost-text (eql (point) recur--ghost-point)
       (eql (buffer-chars-modified-tick) recur--ghost-tick)))

(defun recur--ghost-clear ()
  (when recur--ghost-overlay (delete-overlay recur--ghost-overlay))
  (setq recur--ghost-overlay nil recur--ghost-text nil))

(defun recur--ghost-show (text)
  (recur--ghost-clear)
  (unless (string-empty-p text)
    (let ((shown (propertize text 'face 'recur-ghost-face)))
      (put-text-property 0 1 'cursor t shown)  ; the cursor stays before it
      (setq recur--ghost-overlay (make-overlay (point) (point) nil t nil)
            recur--ghost-text text
            recur--ghost-point (point)
            recur--ghost-tick (buffer-chars-modified-tick))
      (overlay-put recur--ghost-overlay 'after-string shown)
      (overlay-put recur--ghost-overlay 'recur-ghost t)
      (overlay-put recur--ghost-overlay 'priority 1000))))

(defun recur-ghost-refresh (&optional invoked)
  "Ask Recur for ghost text at point now.
INVOKED (interactively, t) sends trigger kind 1, else 2 (automatic)."
  (interactive (list t))
  (when-let ((server (and (eglot-managed-p)
                          (ignore-errors (eglot-current-server)))))
    (when (cl-typep server 'recur-eglot-server)
      (eglot--signal-textDocument/didChange)
      (let ((generation (cl-incf recur--ghost-generation))
            (buffer (current-buffer))
            (tick (buffer-chars-modified-tick))
            (pos (point)))
        (jsonrpc-async-request
         server :textDocument/inlineCompletion
         (append (eglot--TextDocumentPositionParams)
                 (list :context (list :triggerKind (if invoked 1 2))))
         :success-fn
         (lambda (result)
           (when (buffer-live-p buffer)
             (with-current-buffer buffer
               (when (and (eql generation recur--ghost-generation)
                          (eql tick (buffer-chars-modified-tick))
                          (eql pos (point)))
                 (let* ((items (if (vectorp result) result
                                 (plist-get result :items)))
                        (item (and (> (length items) 0) (aref items 0)))
                        (text (and item (plist-get item :insertText))))
                   (recur--ghost-show (cond ((stringp text) text)
                                            ((consp text)
                                             (or (plist-get text :value) ""))
                                            (t ""))))))))
         :error-fn #'ignore
         :timeout-fn #'ignore)))))

(defun recur--ghost-post-command ()
  (let ((tick (buffer-chars-modified-tick)))
    (unless (memq this-command '(recur-ghost-accept-word))
      (unless (recur-ghost-visible-p) (recur--ghost-clear))
      (unless (eql tick recur--ghost-last-tick)
        (recur--ghost-clear)
        (cl-incf recur--ghost-generation)
        (when recur--ghost-timer (cancel-timer recur--ghost-timer))
        (let ((buffer (current-buffer))
              (generation recur--ghost-generation))
          (setq recur--ghost-timer
                (run-at-time recur-ghost-delay nil
                             (lambda ()
                               (when (and (buffer-live-p buffer)
                                          (eq buffer (current-buffer))
                                          (eql generation
                                               recur--ghost-generation))
                                 (recur-ghost-refresh))))))))
    (setq recur--ghost-last-tick tick)))

(defun recur--ghost-insert (text)
  (goto-char recur--ghost-point)
  (insert text))

(defun recur-ghost-accept ()
  "Insert the whole ghost text."
  (interactive)
  (when (recur-ghost-visible-p)
    (let ((text recur--ghost-text))
      (recur--ghost-clear)
      (recur--ghost-insert text))))

(defun recur-ghost-accept-word ()
  "Insert the ghost text up to the end of its next word; the rest stays shown."
  (interactive)
  (when (recur-ghost-visible-p)
    (let* ((text recur--ghost-text)
           (end (if (string-match "\\`\\W*\\w+" text)
                    (match-end 0)
                  (length text)))
           (rest (substring text end)))
      (recur--ghost-clear)
      (recur--ghost-insert (substring text 0 end))
      (cl-incf recur--ghost-generation)
      (recur--ghost-show rest)
      (setq recur--ghost-last-tick (buffer-chars-modified-tick)))))

(defun recur-ghost-dismiss ()
  "Hide the ghost text until the next edit."
  (interactive)
  (recur--ghost-clear)
  (cl-incf recur--ghost-generation)
  (when recur--ghost-timer (cancel-timer recur--ghost-timer)))

(defun recur-ghost-key (command)
  "A key binding that runs COMMAND only while ghost text is shown.
Otherwise the key does what it does without `recur-ghost-mode'."
  `(menu-item "" ,command
              :filter ,(lambda (cmd) (and (recur-ghost-visible-p) cmd))))

(defvar recur-ghost-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "TAB") (recur-ghost-key #'recur-ghost-accept))
    (define-key map (kbd "<tab>") (recur-ghost-key #'recur-ghost-accept))
    (define-key map (kbd "M-f") (recur-ghost-key #'recur-ghost-accept-word))
    (define-key map (kbd "C-g") (recur-ghost-key #'recur-ghost-dismiss))
    map)
  "Keys of `recur-ghost-mode'; they act only while ghost text is shown.
Other keys: (define-key recur-ghost-mode-map (kbd \"C-e\")
              (recur-ghost-key #\\='recur-ghost-accept))")

;;;###autoload
(define-minor-mode recur-ghost-mode
  "Show Recur's inline completion as ghost text after point while typing.
\\<recur-ghost-mode-map>\\[recur-ghost-accept] accepts it, \\[recur-ghost-accept-word] accepts one word,
\\[recur-ghost-dismiss] dismisses it; otherwise these keys do what they usually
do."
  :lighter " Ghost"
  :keymap recur-ghost-mode-map
  (if recur-ghost-mode
      (progn
        (setq recur--ghost-last-tick (buffer-chars-modified-tick))
        (add-hook 'post-command-hook #'recur--ghost-post-command nil t))
    (remove-hook 'post-command-hook #'recur--ghost-post-command t)
    (recur-ghost-dismiss)))

;;;###autoload
(defun recur-ghost-mode-maybe ()
  "Turn on `recur-ghost-mode' when the buffer's eglot server is Recur.
For `eglot-managed-mode-hook'."
  (when (and (eglot-managed-p)
             (cl-typep (ignore-errors (eglot-current-server))
                       'recur-eglot-server))
    (recur-ghost-mode 1)))

(provide 'recur)
;;; recur.el ends here
