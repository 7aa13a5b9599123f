-- Recur for Neovim: starts `recur serve` through the built-in LSP client and adds ghost text and commands.
--   require('recur').setup({ filetypes = { 'markdown', 'python' } })   -- or leave filetypes out for all
-- Neovim 0.8+ uses vim.lsp.start; 0.7 uses vim.lsp.start_client and vim.lsp.buf_attach_client.
local M = {}

local defaults = {
  cmd = { 'recur', 'serve' },
  filetypes = nil, -- nil: every buffer that holds a file; or a list of filetypes
  root_dir = nil, -- nil: the current directory; or function(bufnr) -> path
  init_options = {}, -- passed as initializationOptions: n, temperature, topK, topP, maxChars, model, profile
  online_learning = true, -- learn from what you type; false starts each connection with learning off
  learn_from_open_documents = false, -- true: also learn from the text of documents as they are opened
  omnifunc = true, -- set 'omnifunc' to the LSP omnifunc in attached buffers (<C-x><C-o>)
  flags = { debounce_text_changes = 50 },
  ghost = {
    enabled = true,
    debounce = 75, -- ms of quiet typing before asking for ghost text
    hl_group = 'Comment',
  },
  keys = { -- insert-mode keys, buffer-local; false disables one
    accept = '<Tab>', -- falls through to a plain <Tab> when no ghost text is shown
    accept_word = '<M-Right>',
    dismiss = '<C-]>',
  },
  on_attach = nil, -- function(client, bufnr)
  capabilities = nil,
}

M.config = vim.deepcopy(defaults)
M.adapt_job = nil -- { id, token, profile, message, percentage } while a :RecurAdapt job runs
M.learning = nil -- the last OnlineLearningStatus the server reported (recur/status, :RecurLearning), or nil

local started = {} -- 0.7: root_dir -> client id
local tokens = 0

local function notify(message, level)
  vim.notify('recur: ' .. message, level or vim.log.levels.INFO)
end

-- Client methods are fields called with a dot up to 0.10 and methods called with a colon from 0.11.
local method_call = vim.fn.has('nvim-0.11') == 1
function M.call(client, name, ...)
  if method_call then return client[name](client, ...) end
  return client[name](...)
end

local function root_for(bufnr)
  local root = M.config.root_dir
  if type(root) == 'function' then root = root(bufnr) end
  return root or vim.fn.getcwd()
end

--- The Recur client attached to `bufnr` (default: current), else any running Recur client.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local any
  for _, client in pairs(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()) do
    if client.name == 'recur' then
      if vim.lsp.buf_is_attached(bufnr, client.id) then return client end
      any = any or client
    end
  end
  return any
end

local function on_progress(err, result, ctx, config)
  local job = M.adapt_job
  if job and result and result.token == job.token then
    local value = result.value or {}
    job.message = value.message or value.title or job.message
    job.percentage = value.percentage or job.percentage
    if value.kind ~= 'end' then
      vim.api.nvim_echo({ { M.adapt_text(), 'None' } }, false, {})
    end
    vim.cmd('redrawstatus')
    vim.cmd('doautocmd <nomodeline> User RecurAdaptProgress')
    return
  end
  return vim.lsp.handlers['$/progress'](err, result, ctx, config)
end

local function on_adapt_finished(_, result)
  local job = M.adapt_job
  if job and result and tostring(result.jobId) == tostring(job.id) then M.adapt_job = nil end
  M.last_adapt = result
  local text = string.format('adapt %s: %s', (result or {}).profile or '?', (result or {}).outcome or '?')
  if result and result.valLossBefore and result.valLossAfter then
    text = text .. string.format(' (validation loss %.4f -> %.4f)', result.valLossBefore, result.valLossAfter)
  end
  if result and result.message and result.message ~= '' then text = text .. ': ' .. result.message end
  local failed = result and (result.outcome == 'failed')
  notify(text, failed and vim.log.levels.WARN or vim.log.levels.INFO)
  vim.cmd('redrawstatus')
  vim.cmd('doautocmd <nomodeline> User RecurAdaptFinished')
end

local function on_attach(client, bufnr)
  if M.config.omnifunc then
    vim.api.nvim_buf_set_option(bufnr, 'omnifunc', 'v:lua.vim.lsp.omnifunc')
  end
  require('recur.ghost').attach(bufnr, M.config)
  if M.config.on_attach then M.config.on_attach(client, bufnr) end
end

-- Learning settings are sent only where they differ from the server's defaults (learning on, open documents not
-- learned), so `recur serve --no-online-learning` in `cmd` stays off; a key set in `init_options` wins.
local function init_options()
  local options = vim.deepcopy(M.config.init_options or {})
  if M.config.online_learning == false and options.onlineLearning == nil then options.onlineLearning = false end
  if M.config.learn_from_open_documents and options.learnFromOpenDocuments == nil then
    options.learnFromOpenDocuments = true
  end
  return options
end

local function remember_learning(state)
  if state == nil or state == vim.NIL then return end
  M.learning = state
  vim.cmd('redrawstatus')
end

-- The server's learning state for the statusline; it may differ from the config (the command line, an older recur).
local function on_init(client)
  M.call(client, 'request', 'recur/status', vim.empty_dict(), function(err, status)
    if not err and type(status) == 'table' then remember_learning(status.onlineLearning) end
  end)
end

local function client_config(bufnr)
  return {
    name = 'recur',
    cmd = M.config.cmd,
    root_dir = root_for(bufnr),
    init_options = init_options(),
    flags = M.config.flags,
    capabilities = M.config.capabilities,
    handlers = { ['$/progress'] = on_progress, ['recur/adaptFinished'] = on_adapt_finished },
    on_init = on_init,
    on_attach = on_attach,
  }
end

local function wanted(bufnr)
  if vim.api.nvim_buf_get_option(bufnr, 'buftype') ~= '' then return false end
  local filetypes = M.config.filetypes
  if not filetypes then return true end
  local ft = vim.api.nvim_buf_get_option(bufnr, 'filetype')
  return vim.tbl_contains(filetypes, ft)
end

--- Starts Recur for `bufnr` (or reuses the running server for its root) and attaches the buffer.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local config = client_config(bufnr)
  if vim.lsp.start then
    return vim.api.nvim_buf_call(bufnr, function() return vim.lsp.start(config) end)
  end
  -- 0.7's client_is_stopped is true until the server has answered initialize, so look the client up instead.
  local id = started[config.root_dir]
  local running = id and vim.lsp.get_client_by_id(id)
  if not running or running.is_stopped() then
    id = vim.lsp.start_client(config)
    if not id then
      notify('could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
    started[config.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

-- Sends `method`; `callback(result)` on success. An error is shown, then `on_error()` is called. The current
-- buffer's pending changes are sent first; with `all_buffers`, those of every buffer.
local function request(method, params, callback, on_error, all_buffers)
  local client = M.client()
  if not client then
    notify('not running here (open a file of a configured filetype, or call require("recur").attach())',
      vim.log.levels.ERROR)
    if on_error then on_error() end
    return
  end
  M.call(client, 'request', method, params, function(err, result)
    if err then
      local text = err.message or vim.inspect(err)
      if err.code == -32601 then
        text = text .. ' (this recur does not support ' .. method .. ': install a newer recur)'
      end
      notify(method .. ' failed: ' .. text, vim.log.levels.ERROR)
      if on_error then on_error() end
      return
    end
    callback(result)
  end, not all_buffers and vim.api.nvim_get_current_buf() or nil)
end

local function count(state, key) return math.floor(tonumber(state[key]) or 0) end

--- One line about an OnlineLearningStatus (or the boolean an older recur sends), or nil for none.
function M.learning_text(state)
  if state == nil or state == vim.NIL then return nil end
  if type(state) ~= 'table' then return 'online learning: ' .. (state == true and 'on' or 'off') end
  local text = string.format('online learning: %s, %d bytes learned in %d updates, %d bytes pending, %d queued, '
    .. '%d skipped as secrets', state.enabled == true and 'on' or 'off', count(state, 'bytesLearned'),
    count(state, 'updates'), count(state, 'bytesPending'), count(state, 'bytesQueued'),
    count(state, 'bytesSkippedSecrets'))
  if count(state, 'bytesSkippedBudget') > 0 then
    text = text .. string.format(', %d over the paste budget', count(state, 'bytesSkippedBudget'))
  end
  if state.learnFromOpenDocuments == true then text = text .. ', learning from open documents' end
  if type(state.saveError) == 'string' then text = text .. '; not saved: ' .. state.saveError end
  return text
end

--- :RecurStatus
function M.status(callback)
  request('recur/status', vim.empty_dict(), function(status)
    M.last_status = status
    local model = status.model and (status.model.name .. ', ' .. status.model.architecture .. ', '
      .. status.model.precision) or ('no model: ' .. tostring(status.modelError))
    local lines = { 'model: ' .. model, string.format('open documents: %d, memory: %.1f MB, encoding: %s',
      status.openDocuments, status.residentMemoryBytes / 1e6, status.positionEncoding) }
    local latency = status.completionLatency
    if latency and latency.count > 0 then
      table.insert(lines, string.format('latency: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms (%d requests)',
        latency.p50Milliseconds, latency.p95Milliseconds, latency.p99Milliseconds, latency.count))
    end
    if status.profile then
      local adapter = status.adapterId and ('adapter ' .. tostring(status.adapterId)) or 'base model'
      table.insert(lines, 'profile: ' .. tostring(status.profile) .. ' (' .. adapter .. ')')
    end
    remember_learning(status.onlineLearning)
    local learning = M.learning_text(status.onlineLearning)
    if learning then table.insert(lines, learning) end
    for _, warning in ipairs(status.storeWarnings or {}) do table.insert(lines, 'warning: ' .. warning) end
    if M.adapt_job then table.insert(lines, M.adapt_text()) end
    notify(table.concat(lines, '\n'))
    if callback then callback(status) end
  end)
end

--- :RecurProfile NAME
function M.set_profile(name, callback)
  request('recur/setProfile', { profile = name }, function(result)
    local adapter = result.adapterId and (' (adapter ' .. tostring(result.adapterId) .. ')') or ' (base model)'
    notify('profile ' .. tostring(result.profile) .. adapter)
    if callback then callback(result) end
  end)
end

--- :RecurAdapt [paths]: the given files or directories, or with none, the text of every open document.
function M.adapt(paths, opts, callback)
  opts = opts or {}
  tokens = tokens + 1
  local token = string.format('recur-nvim-%d-%d', vim.fn.getpid(), tokens)
  local params = { workDoneToken = token, profile = opts.profile, steps = opts.steps, minutes = opts.minutes }
  if paths and #paths > 0 then
    params.paths = vim.tbl_map(function(p) return vim.fn.fnamemodify(vim.fn.expand(p), ':p') end, paths)
  else
    params.openDocuments = true
  end
  -- Progress may arrive before the answer: the job is known by its token from the start.
  local previous = M.adapt_job
  M.adapt_job = { token = token, message = 'starting' }
  request('recur/adapt', params, function(result)
    if M.last_adapt and tostring(M.last_adapt.jobId) == tostring(result.jobId) then
      M.adapt_job = previous -- it finished before its answer came
      return callback and callback(result)
    end
    M.adapt_job.id, M.adapt_job.profile = result.jobId, result.profile
    M.adapt_job.token = result.token or token
    notify('adapting profile ' .. tostring(result.profile) .. ' (job ' .. tostring(result.jobId) .. ')')
    if callback then callback(result) end
  end, function() M.adapt_job = previous end)
end

--- :RecurAdaptCancel
function M.cancel_adapt()
  if not M.adapt_job then return notify('no adaptation is running', vim.log.levels.WARN) end
  request('recur/cancelAdapt', { jobId = M.adapt_job.id }, function() notify('cancelling') end)
end

--- :RecurLearning on|off: learning from typed text for this connection (`recur/setOnlineLearning`).
function M.set_learning(enabled, callback)
  request('recur/setOnlineLearning', { enabled = enabled and true or false }, function(state)
    remember_learning(state)
    notify(M.learning_text(state) or 'online learning: ?')
    if callback then callback(state) end
  end)
end

--- :RecurLearning toggle: asks the server for the current state, then flips it.
function M.toggle_learning(callback)
  request('recur/status', vim.empty_dict(), function(status)
    local state = status.onlineLearning
    local enabled = state == true or (type(state) == 'table' and state.enabled == true)
    M.set_learning(not enabled, callback)
  end)
end

--- :RecurLearning sync: learn everything typed so far now, wait for the new weights, save them.
function M.sync_learning(callback)
  request('recur/syncOnlineLearning', vim.empty_dict(), function(state)
    remember_learning(state)
    local text = 'synced; ' .. (M.learning_text(state) or 'online learning: ?')
    if type(state) == 'table' and type(state.savedAt) == 'string' then
      text = text .. ', saved ' .. state.savedAt
    end
    notify(text)
    if callback then callback(state) end
  end, nil, true)
end

--- :RecurLearning with no argument: the learning state alone.
function M.show_learning(callback)
  request('recur/status', vim.empty_dict(), function(status)
    remember_learning(status.onlineLearning)
    notify(M.learning_text(status.onlineLearning) or 'this recur does not report online learning')
    if callback then callback(status.onlineLearning) end
  end)
end

local learning_actions = {
  on = function() M.set_learning(true) end,
  off = function() M.set_learning(false) end,
  toggle = function() M.toggle_learning() end,
  sync = function() M.sync_learning() end,
  [''] = function() M.show_learning() end,
}

--- The running adaptation's progress, or ''.
function M.adapt_text()
  local job = M.adapt_job
  if not job then return '' end
  local text = 'recur adapt: ' .. (job.message or '')
  if job.percentage then text = text .. string.format(' (%d%%)', job.percentage) end
  return text
end

--- For 'statusline': the running adaptation's progress and whether Recur learns from typing, or ''.
function M.statusline()
  local parts = {}
  if M.adapt_job then table.insert(parts, M.adapt_text()) end
  local state = M.learning
  if state ~= nil then
    local enabled = state == true or (type(state) == 'table' and state.enabled == true)
    table.insert(parts, enabled and 'recur learning' or 'recur learning off')
  end
  return table.concat(parts, ' · ')
end

function M.ghost_visible() return require('recur.ghost').visible() end
function M.accept() return require('recur.ghost').accept() end
function M.accept_word() return require('recur.ghost').accept_word() end
function M.dismiss() return require('recur.ghost').dismiss() end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if opts and opts.filetypes then M.config.filetypes = opts.filetypes end
  local group = vim.api.nvim_create_augroup('recur', { clear = true })
  -- With no filetypes, buffers whose filetype stays empty (plain text files) are attached too.
  local events = M.config.filetypes and { 'FileType' } or { 'FileType', 'BufReadPost', 'BufNewFile' }
  vim.api.nvim_create_autocmd(events, {
    group = group,
    pattern = M.config.filetypes or '*',
    callback = function(args)
      if wanted(args.buf) then M.attach(args.buf) end
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.api.nvim_buf_get_name(bufnr) ~= '' and wanted(bufnr) then
      M.attach(bufnr)
    end
  end
  vim.api.nvim_create_user_command('RecurStatus', function() M.status() end, { desc = 'Recur: status' })
  vim.api.nvim_create_user_command('RecurProfile', function(c) M.set_profile(c.args) end,
    { nargs = 1, desc = 'Recur: switch profile' })
  vim.api.nvim_create_user_command('RecurAdapt', function(c) M.adapt(c.fargs) end,
    { nargs = '*', complete = 'file', desc = 'Recur: fine-tune the profile on files (default: open buffers)' })
  vim.api.nvim_create_user_command('RecurAdaptCancel', function() M.cancel_adapt() end,
    { desc = 'Recur: cancel the running adaptation' })
  vim.api.nvim_create_user_command('RecurLearning', function(c)
    local action = learning_actions[c.args]
    if not action then
      return notify('RecurLearning takes on, off, toggle or sync (or nothing, to show the state)',
        vim.log.levels.ERROR)
    end
    action()
  end, { nargs = '?', complete = function(lead)
      return vim.tbl_filter(function(a) return vim.startswith(a, lead) end, { 'on', 'off', 'toggle', 'sync' })
    end,
    desc = 'Recur: learning from what you type (on, off, toggle, sync; none: show)' })
end

return M
