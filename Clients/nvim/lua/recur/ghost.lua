-- Ghost text: Recur's inline completion (textDocument/inlineCompletion) shown as extmark virtual text at the
-- cursor while typing in Insert mode, refreshed after a debounce; accept all, accept one word, or dismiss.
local M = {}

local ns = vim.api.nvim_create_namespace('recur_ghost')
local uv = vim.loop
local buffers = {} -- bufnr -> state: { timer, seq, request_id, text, item, row, col, tick, keep_tick, dismissed_tick }
local config

M.namespace = ns

local function state_of(bufnr)
  local state = buffers[bufnr]
  if not state then
    state = { seq = 0 }
    buffers[bufnr] = state
  end
  return state
end

local function changedtick(bufnr) return vim.api.nvim_buf_get_var(bufnr, 'changedtick') end

--- Removes the ghost text of `bufnr` (default: current).
function M.clear(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local state = buffers[bufnr]
  if not state then return end
  state.text, state.item = nil, nil
  if vim.api.nvim_buf_is_valid(bufnr) then vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1) end
end

--- The ghost text shown at the cursor of the current buffer, or nil.
function M.text()
  local bufnr = vim.api.nvim_get_current_buf()
  local state = buffers[bufnr]
  if not (state and state.text) then return nil end
  local cursor = vim.api.nvim_win_get_cursor(0)
  if cursor[1] - 1 ~= state.row or cursor[2] ~= state.col or changedtick(bufnr) ~= state.tick then return nil end
  return state.text
end

function M.visible() return M.text() ~= nil end

local function render(bufnr, text, row, col)
  M.clear(bufnr)
  if text == '' then return end
  local state = state_of(bufnr)
  local lines = vim.split(text, '\n', { plain = true })
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  local position = 'overlay'
  if vim.fn.has('nvim-0.10') == 1 then
    position = 'inline'
  elseif col < #line then
    position = 'eol' -- 0.7-0.9 cannot insert virtual text mid-line without covering the text after the cursor
  end
  local opts = {
    virt_text = { { lines[1], config.ghost.hl_group } },
    virt_text_pos = position,
    hl_mode = 'combine',
  }
  if #lines > 1 then
    opts.virt_lines = {}
    for i = 2, #lines do table.insert(opts.virt_lines, { { lines[i], config.ghost.hl_group } }) end
  end
  vim.api.nvim_buf_set_extmark(bufnr, ns, row, col, opts)
  state.text, state.row, state.col, state.tick = text, row, col, changedtick(bufnr)
end

--- Asks the server for ghost text at the cursor now. `kind` is the LSP trigger kind: 2 (automatic, one item,
--- the default) or 1 (invoked).
function M.refresh(kind)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = require('recur').client(bufnr)
  if not client or vim.fn.pumvisible() == 1 then return end
  local state = state_of(bufnr)
  local recur = require('recur')
  if state.request_id then pcall(recur.call, client, 'cancel_request', state.request_id) end
  state.seq = state.seq + 1
  local seq, tick = state.seq, changedtick(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = kind or 2 }
  local _, request_id = recur.call(client, 'request', 'textDocument/inlineCompletion', params, function(err, result)
    if seq ~= state.seq then return end
    state.request_id = nil
    if err or not result or not vim.api.nvim_buf_is_valid(bufnr) then return end
    if vim.api.nvim_get_current_buf() ~= bufnr or changedtick(bufnr) ~= tick then return end
    local now = vim.api.nvim_win_get_cursor(0)
    if now[1] ~= cursor[1] or now[2] ~= cursor[2] or not vim.fn.mode():match('^i') then return end
    local item = (result.items or result)[1]
    if not item then return M.clear(bufnr) end
    local range = item.range
    if range and (range.start.line ~= params.position.line or range.start.character ~= params.position.character) then
      return -- Recur inserts at the cursor; anything else is not ghost text this plugin can show
    end
    local text = type(item.insertText) == 'table' and item.insertText.value or item.insertText or ''
    render(bufnr, text, cursor[1] - 1, cursor[2])
    state.item = item
    state.received = (state.received or 0) + 1
  end, bufnr)
  state.request_id = request_id
end

local function insert(bufnr, text)
  local state = buffers[bufnr]
  local row, col = state.row, state.col
  local lines = vim.split(text, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  if #lines == 1 then
    vim.api.nvim_win_set_cursor(0, { row + 1, col + #lines[1] })
  else
    vim.api.nvim_win_set_cursor(0, { row + #lines, #lines[#lines] })
  end
end

--- Inserts the whole ghost text. Returns false when none is shown.
function M.accept()
  local text = M.text()
  if not text then return false end
  local bufnr = vim.api.nvim_get_current_buf()
  insert(bufnr, text)
  M.clear(bufnr)
  return true
end

--- Inserts the ghost text up to the end of its next word (with the spaces before it) and keeps the rest shown.
function M.accept_word()
  local text = M.text()
  if not text then return false end
  local word = text:match('^%s*[%w_\128-\255]+') or text:match('^%s*[^%w_%s\128-\255]+') or text:match('^%s+')
    or text
  local bufnr = vim.api.nvim_get_current_buf()
  insert(bufnr, word)
  local rest = text:sub(#word + 1)
  local cursor = vim.api.nvim_win_get_cursor(0)
  render(bufnr, rest, cursor[1] - 1, cursor[2])
  local state = buffers[bufnr]
  state.keep_tick = changedtick(bufnr) -- the TextChangedI this edit causes keeps the rest
  return true
end

--- Hides the ghost text until the next edit.
function M.dismiss()
  local bufnr = vim.api.nvim_get_current_buf()
  if not M.visible() then return false end
  M.clear(bufnr)
  local state = state_of(bufnr)
  state.seq = state.seq + 1
  if state.timer then state.timer:stop() end
  return true
end

local function on_text_changed(bufnr)
  local state = state_of(bufnr)
  if state.keep_tick and state.keep_tick == changedtick(bufnr) and M.visible() then
    state.keep_tick = nil
    return
  end
  state.keep_tick = nil
  M.clear(bufnr)
  state.seq = state.seq + 1
  if not state.timer then state.timer = uv.new_timer() end
  state.timer:stop()
  local seq = state.seq -- a callback already queued by an earlier timer must not refresh after a dismiss
  state.timer:start(config.ghost.debounce, 0, vim.schedule_wrap(function()
    if seq == state.seq and vim.api.nvim_get_current_buf() == bufnr and vim.fn.mode():match('^i') then
      M.refresh(2)
    end
  end))
end

local function on_cursor_moved(bufnr)
  if buffers[bufnr] and buffers[bufnr].text and not M.visible() then M.clear(bufnr) end
end

local function map(bufnr, lhs, action)
  if not lhs then return end
  vim.keymap.set('i', lhs, function()
    if M.visible() then return '<Cmd>lua require("recur.ghost").' .. action .. '()<CR>' end
    return lhs
  end, { buffer = bufnr, expr = true, silent = true, desc = 'Recur: ' .. action })
end

--- Sets up ghost text for an attached buffer (once per buffer).
function M.attach(bufnr, recur_config)
  config = recur_config
  local state = state_of(bufnr)
  if state.attached or not config.ghost.enabled then return end
  state.attached = true
  local group = vim.api.nvim_create_augroup('recur_ghost_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd('TextChangedI', { group = group, buffer = bufnr,
    callback = function() on_text_changed(bufnr) end })
  vim.api.nvim_create_autocmd({ 'TextChangedP', 'CompleteChanged' }, { group = group, buffer = bufnr,
    callback = function() M.clear(bufnr) end })
  vim.api.nvim_create_autocmd('CursorMovedI', { group = group, buffer = bufnr,
    callback = function() on_cursor_moved(bufnr) end })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, { group = group, buffer = bufnr,
    callback = function()
      M.clear(bufnr)
      state.seq = state.seq + 1
    end })
  vim.api.nvim_create_autocmd({ 'BufUnload', 'BufWipeout' }, { group = group, buffer = bufnr,
    callback = function()
      if state.timer then state.timer:close() end
      buffers[bufnr] = nil
      pcall(vim.api.nvim_del_augroup_by_id, group)
    end })
  map(bufnr, config.keys.accept, 'accept')
  map(bufnr, config.keys.accept_word, 'accept_word')
  map(bufnr, config.keys.dismiss, 'dismiss')
end

return M
