;;; recur_el_test.el --- Clients/emacs/recur.el in Emacs 28 with eglot against `recur serve'  -*- lexical-binding: t -*-
;; Run: emacs --batch -Q -l Tests/editors/recur_el_test.el -f ert-run-tests-batch-and-exit
;; RECUR_BIN names the binary, RECUR_ROOT the repository.
;; Keys are typed with `execute-kbd-macro', so commands and post-command-hook run as they do for a user.
(require 'package)
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
(package-initialize)
(require 'ert)
(require 'ert-x)
(require 'eglot)
(require 'company)
(load (expand-file-name "Clients/emacs/recur.el" (getenv "RECUR_ROOT")) nil t)

(setq recur-program (or (getenv "RECUR_BIN") (error "RECUR_BIN is not set"))
      eglot-sync-connect t
      eglot-autoshutdown t)
(recur-setup)

(defvar recur-test-completions nil "Every textDocument/completion item's newText that the server returned.")
(defvar recur-test-inline nil "Every textDocument/inlineCompletion first item's insertText that the server returned.")

;; Record what the server answered, to check the provenance of what ends up in the buffer.
(advice-add 'jsonrpc-request :around
            (lambda (orig connection method params &rest rest)
              (let ((result (apply orig connection method params rest)))
                (when (eq method :textDocument/completion)
                  (dolist (item (append (plist-get result :items) nil))
                    (push (plist-get (plist-get item :textEdit) :newText) recur-test-completions)))
                result)))
(advice-add 'jsonrpc-async-request :around
            (lambda (orig connection method params &rest args)
              (when (eq method :textDocument/inlineCompletion)
                (let ((success (plist-get args :success-fn)))
                  (setq args (plist-put (copy-sequence args) :success-fn
                                        (lambda (result)
                                          (let ((items (plist-get result :items)))
                                            (when (> (length items) 0)
                                              (push (plist-get (aref items 0) :insertText) recur-test-inline)))
                                          (funcall success result))))))
              (apply orig connection method params args)))

(defun recur-test-wait (predicate &optional seconds)
  "Process events until PREDICATE holds, for at most SECONDS (default 10); return its value."
  (let ((deadline (+ (float-time) (or seconds 10))) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.02))
    value))

(defmacro recur-test-with-buffer (options &rest body)
  "Open a text file in a scratch directory, connect eglot with Recur (initializationOptions OPTIONS), run BODY."
  (declare (indent 1))
  `(let* ((dir (make-temp-file "recur-el" t))
          (default-directory (file-name-as-directory dir))
          (recur-initialization-options ,options)
          (buffer (find-file-noselect (expand-file-name "notes.txt" dir))))
     (unwind-protect
         (with-current-buffer buffer
           (text-mode)
           (apply #'eglot (eglot--guess-contact))
           (should (eglot-managed-p))
           (should (cl-typep (eglot-current-server) 'recur-eglot-server))
           (switch-to-buffer buffer)
           ,@body)
       (when-let ((server (with-current-buffer buffer (ignore-errors (eglot-current-server)))))
         (eglot-shutdown server))
       (kill-buffer buffer)
       (delete-directory dir t))))

(defun recur-test-type (text)
  "Type TEXT as keys."
  (execute-kbd-macro (kbd text)))

(defun recur-test-line () (buffer-substring-no-properties (line-beginning-position) (line-end-position)))

(ert-deftest recur-registers-with-eglot ()
  (let* ((dir (make-temp-file "recur-el" t))
         (default-directory (file-name-as-directory dir)))
    (unwind-protect
        (dolist (case '(("notes.txt" . text-mode) ("init.el" . emacs-lisp-mode)))  ; a text and a prog mode
          (with-current-buffer (find-file-noselect (expand-file-name (car case) dir))
            (should (eq major-mode (cdr case)))
            (should (eq (nth 2 (eglot--guess-contact)) 'recur-eglot-server))
            (kill-buffer)))
      (delete-directory dir t))))

(ert-deftest recur-completion-at-point ()
  ;; One sample: the only candidate is inserted, as completion-at-point does for a unique match.
  (recur-test-with-buffer '(:n 1 :temperature 0.8)
    (setq recur-test-completions nil)
    (recur-test-type "Dear SPC friend, RET the SPC weather SPC is SPC lovely SPC and SPC the SPC gar")
    (call-interactively #'completion-at-point)
    (let ((word (substring (recur-test-line) (length "the weather is lovely and the "))))
      (should recur-test-completions)
      (should (member word recur-test-completions))
      (should (string-prefix-p "gar" word))
      (should (> (length word) 3)))))

(ert-deftest recur-company ()
  (recur-test-with-buffer '(:n 8 :temperature 0.9)
    (setq recur-test-completions nil)
    (company-mode 1)
    (setq-local company-backends '(company-capf))
    (recur-test-type "It SPC is SPC a SPC truth SPC universally SPC ackn")
    (company-manual-begin)
    (should company-candidates)
    (dolist (candidate company-candidates) (should (member candidate recur-test-completions)))
    (let ((chosen (nth company-selection company-candidates)))
      (company-complete-selection)
      (should (equal (recur-test-line) (concat "It is a truth universally " chosen))))))

(ert-deftest recur-completion-in-region-ui ()
  ;; What corfu does: its `completion-in-region-function' inserts the chosen candidate and calls the exit function.
  (recur-test-with-buffer '(:n 8 :temperature 0.9)
    (setq recur-test-completions nil)
    (recur-test-type "The SPC quick SPC brown SPC fox SPC jumps SPC over SPC the SPC la")
    (let* ((chosen nil)
           (completion-in-region-function
            (lambda (start end collection predicate)
              (let* ((candidates (all-completions (buffer-substring start end) collection predicate))
                     (exit (plist-get completion-extra-properties :exit-function)))
                (setq chosen (car candidates))
                (completion--replace start end (substring-no-properties chosen))
                (when exit (funcall exit chosen 'finished))
                t))))
      (call-interactively #'completion-at-point)
      (should chosen)
      (should (member (substring-no-properties chosen) recur-test-completions))
      (should (equal (recur-test-line) (concat "The quick brown fox jumps over the " chosen))))))

(defun recur-test-ghost-after (keys)
  "Type KEYS and wait for ghost text; return it."
  (recur-test-type keys)
  (recur-test-wait (lambda () (and (recur-ghost-visible-p) recur--ghost-text))))

(ert-deftest recur-ghost-accept ()
  (recur-test-with-buffer '(:temperature 0.5)
    (recur-ghost-mode 1)
    (setq recur-test-inline nil)
    (let ((ghost (recur-test-ghost-after "The SPC quick SPC brown SPC fox SPC jumps SPC over SPC the SPC la"))
          (before (recur-test-line)))
      (should ghost)
      (should (equal ghost (car recur-test-inline)))  ; what the server sent
      (should (equal (substring-no-properties (overlay-get recur--ghost-overlay 'after-string)) ghost))
      (should (eq (key-binding (kbd "TAB")) 'recur-ghost-accept))
      (recur-test-type "TAB")
      (should (equal (recur-test-line) (concat before ghost)))
      (should (eolp))
      (should-not (recur-ghost-visible-p))
      (should-not (cl-find-if (lambda (o) (overlay-get o 'recur-ghost)) (overlays-in (point-min) (point-max)))))))

(ert-deftest recur-ghost-accept-word-and-dismiss ()
  ;; Whole lines (inlineMinProbability 0), so that one word taken leaves more shown.
  (recur-test-with-buffer '(:temperature 0.5 :inlineMinProbability 0)
    (recur-ghost-mode 1)
    (let ((ghost (recur-test-ghost-after
                  "It SPC is SPC a SPC truth SPC universally SPC acknowledged, SPC that SPC a SPC single SPC man"))
          (before (recur-test-line)))
      (should ghost)
      (recur-test-type "M-f")
      (let* ((added (substring (recur-test-line) (length before)))
             (rest (substring ghost (length added))))
        (should (> (length added) 0))
        (should (string-prefix-p added ghost))
        (should (string-match-p "\\`\\W*\\w+\\'" added))
        (if (string-empty-p rest)
            (should-not (recur-ghost-visible-p))
          (should (equal recur--ghost-text rest))
          (should (recur-ghost-visible-p))
          (let ((line (recur-test-line)))
            (recur-test-type "C-g")
            (should-not (recur-ghost-visible-p))
            (should (equal (recur-test-line) line))
            ;; With no ghost text the keys are the usual ones.
            (should-not (eq (key-binding (kbd "TAB")) 'recur-ghost-accept))
            (should (eq (key-binding (kbd "M-f")) 'forward-word))))))))

(ert-deftest recur-ghost-mode-maybe-turns-on-with-recur ()
  (let ((eglot-managed-mode-hook (list #'recur-ghost-mode-maybe)))
    (recur-test-with-buffer nil
      (should recur-ghost-mode)))
  (with-temp-buffer
    (recur-ghost-mode-maybe)
    (should-not recur-ghost-mode)))

(ert-deftest recur-status-command ()
  (recur-test-with-buffer nil
    (ert-with-message-capture messages
      (let ((status (recur-status)))
        (should (equal (plist-get status :openDocuments) 1))
        (should (string-match-p "model: default" messages))
        (should (string-match-p "open documents: 1" messages))))))

(defun recur-test-learning-enabled ()
  "recur/status's onlineLearning :enabled: t or :json-false."
  (plist-get (plist-get (recur--request "recur/status" nil) :onlineLearning) :enabled))

(ert-deftest recur-online-learning-commands ()
  (recur-test-with-buffer nil
    (ert-with-message-capture messages
      (should (eq (recur-test-learning-enabled) t))  ; the default
      (recur-status)
      (should (string-match-p "online learning: on, [0-9]+ bytes learned in [0-9]+ updates, [0-9]+ bytes pending, \
[0-9]+ queued, [0-9]+ skipped as secrets" messages))
      (should (eq (plist-get (recur-set-online-learning nil) :enabled) :json-false))
      (should (string-match-p "Recur: online learning: off" messages))
      (should (eq (recur-test-learning-enabled) :json-false))
      (should (eq (plist-get (recur-toggle-online-learning) :enabled) t))
      (should (eq (recur-test-learning-enabled) t))
      (let ((current-prefix-arg '-))  ; M-- M-x recur-set-online-learning
        (call-interactively #'recur-set-online-learning))
      (should (eq (recur-test-learning-enabled) :json-false))
      (let ((current-prefix-arg 1))
        (call-interactively #'recur-set-online-learning))
      (should (eq (recur-test-learning-enabled) t))
      ;; A complete line, then text on the next: the first line is settled, so the sync learns it.
      (recur-test-type "The SPC recurrent SPC daemon SPC learns SPC from SPC the SPC lines SPC you SPC type. RET \
It SPC completes SPC them SPC as SPC you SPC go")
      (should (equal (recur-test-line) "It completes them as you go"))
      (let* ((state (recur-sync-online-learning))
             (learned (plist-get state :bytesLearned)))
        (should (eq (plist-get state :enabled) t))
        (should (integerp learned))
        (should (> learned 0))
        (should (integerp (plist-get state :updates)))
        (should (string-match-p (format "Recur: synced; online learning: on, %d bytes learned" learned) messages))
        (should (equal recur-last-online-learning state))))))

(ert-deftest recur-online-learning-off-at-start ()
  (let ((recur-online-learning nil))
    (recur-test-with-buffer nil
      (should (eq (recur-test-learning-enabled) :json-false))
      (should (equal (plist-get (recur--initialization-options nil) :onlineLearning) :json-false)))))

(ert-deftest recur-adapt-and-profile-commands ()
  (recur-test-with-buffer nil
    (let ((corpus (expand-file-name "corpus.txt" default-directory)))
      (with-temp-file corpus
        (dotimes (_ 60) (insert "The recurrent daemon completes the words you type.\n")))
      (should (equal (plist-get (recur-set-profile "emacs-test") :profile) "emacs-test"))
      (let ((progress nil))
        (add-hook 'recur-adapt-progress-functions (lambda (value) (push value progress)))
        (setq recur-last-adapt nil)
        (recur-adapt (list corpus) nil 5)
        (should (recur-test-wait (lambda () recur-last-adapt) 300))
        (should (member (plist-get recur-last-adapt :outcome) '("improved" "notImproved" "reused")))
        (should (equal (plist-get recur-last-adapt :profile) "emacs-test"))
        (should progress)
        (should-not (recur-mode-line-string))))))

;;; recur_el_test.el ends here
