-- Clients/nvim (the Recur plugin) in the real Neovim against the real `recur serve`: keys are fed as if typed and
-- run by Neovim's main loop, steps advance on timers. Writes {checks = [{name, ok, detail}], done} to $RECUR_OUT.
-- Sourced with `nvim --headless --clean -n -c "luafile ..."` (0.7 has no -l).
local root = os.getenv('RECUR_ROOT')
local recur_bin = os.getenv('RECUR_BIN')
local out_path = os.getenv('RECUR_OUT')
local work = vim.fn.getcwd()

local checks = {}
local function check(name, ok, detail)
  table.insert(checks, { name = name, ok = ok and true or false, detail = detail and vim.inspect(detail) or '' })
end

local function finish()
  local f = io.open(out_path, 'w')
  f:write(vim.fn.json_encode({ checks = checks, done = true }))
  f:close()
  vim.cmd('qall!')
end

local notifications = {}
vim.notify = function(message, level)
  table.insert(notifications, { message = message, level = level })
end
local function notification_matching(pattern, from)
  for i = from or 1, #notifications do
    if notifications[i].message:find(pattern) then return notifications[i] end
  end
end

local function feed(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'mt', false)
end

-- Runs steps one after another; a step gets `next` and calls it (usually from a wait).
local steps = {}
local function run(i)
  i = i or 1
  if i > #steps then return finish() end
  local ok, err = pcall(steps[i].fn, function() vim.defer_fn(function() run(i + 1) end, 10) end)
  if not ok then
    check(steps[i].name, false, err)
    finish()
  end
end
local function step(name, fn) table.insert(steps, { name = name, fn = fn }) end

-- Polls `condition` every 20 ms; calls `done(true)` once it holds, or `done(false)` after `timeout` ms.
local function wait_for(condition, timeout, done)
  local deadline = vim.loop.now() + timeout
  local function poll()
    local ok, value = pcall(condition)
    if ok and value then return done(true) end
    if vim.loop.now() > deadline then return done(false) end
    vim.defer_fn(poll, 20)
  end
  poll()
end

local function ghost_marks()
  local ghost = require('recur.ghost')
  return vim.api.nvim_buf_get_extmarks(0, ghost.namespace, 0, -1, { details = true })
end

local function ghost_virt_text()
  local marks = ghost_marks()
  if #marks == 0 then return nil end
  local chunks = marks[1][4].virt_text or {}
  return chunks[1] and chunks[1][1] or nil
end

local function current_line() return vim.api.nvim_get_current_line() end

vim.opt.runtimepath:prepend(root .. '/Clients/nvim')
local recur = require('recur')

step('setup attaches the buffer', function(next)
  -- Ghost text as whole lines (inlineMinProbability 0), so that taking one word leaves more shown; the Emacs
  -- tests and the in-process ones cover the default, which cuts it where the model is unsure.
  recur.setup({ cmd = { recur_bin, 'serve' }, init_options = { n = 8, temperature = 0.9, inlineMinProbability = 0 },
    ghost = { debounce = 30 } })
  vim.cmd('edit ' .. work .. '/notes.txt')
  wait_for(function()
    local client = recur.client()
    return client and client.initialized and vim.lsp.buf_is_attached(0, client.id)
  end, 15000, function(ok)
    check('setup attaches the buffer', ok, vim.bo.filetype)
    local attached = 0
    for _, client in pairs(vim.lsp.buf_get_clients(0)) do
      if client.name == 'recur' then attached = attached + 1 end
    end
    check('exactly one Recur client is attached', attached == 1, attached)
    check('omnifunc is the LSP omnifunc', vim.bo.omnifunc == 'v:lua.vim.lsp.omnifunc', vim.bo.omnifunc)
    if not ok then return finish() end
    next()
  end)
end)

-- Omni-completion: type in Insert mode, <C-x><C-o>, and accept the popup's first item.
local offered
step('omni completion', function(next)
  vim.o.completeopt = 'menuone' -- show the popup even for one item; the first item is inserted
  feed('iDear friend,<CR>the weather is lovely and the gar<C-x><C-o>')
  wait_for(function() return vim.fn.pumvisible() == 1 end, 10000, function(ok)
    check('<C-x><C-o> shows a popup', ok, current_line())
    if not ok then return finish() end
    local info = vim.fn.complete_info({ 'items', 'selected' })
    offered = {}
    local from_recur = #info.items > 0
    for _, item in ipairs(info.items) do
      table.insert(offered, item.word)
      local lsp_item = item.user_data and item.user_data.nvim and item.user_data.nvim.lsp
        and item.user_data.nvim.lsp.completion_item
      if not (lsp_item and (lsp_item.detail or ''):match('· recur$') and item.word:sub(1, 3) == 'gar') then
        from_recur = false
      end
    end
    check('every item offered came from Recur and extends "gar"', from_recur, info.items)
    feed('<C-y><Esc>')
    wait_for(function() return vim.fn.mode() == 'n' end, 5000, function()
      local line = current_line()
      local inserted = line:match('^the weather is lovely and the (.*)$')
      check('the inserted word is one Recur offered', inserted and vim.tbl_contains(offered, inserted),
        { line = line, offered = offered })
      next()
    end)
  end)
end)

-- Ghost text: typing shows virtual text at the cursor; <Tab> inserts it.
local function type_until_ghost(text, done)
  feed('o' .. text)
  wait_for(function() return ghost_virt_text() ~= nil end, 8000, done)
end

step('ghost text and accept', function(next)
  type_until_ghost('The quick brown fox jumps over the la', function(ok)
    local shown = ghost_virt_text()
    local item = recur.ghost_visible() and require('recur.ghost').text()
    check('ghost text appears as extmark virt_text', ok and shown and #shown > 0, ghost_marks())
    if not ok then return finish() end
    check('the ghost text is the server\'s insertText', item and vim.startswith(item, shown), { item, shown })
    local before = current_line()
    feed('<Tab>')
    wait_for(function() return current_line() ~= before end, 3000, function(changed)
      local line = current_line()
      check('<Tab> inserts the ghost text', changed and line == before .. item, { before = before, line = line,
        ghost = item })
      check('the ghost text is gone after accepting', #ghost_marks() == 0, ghost_marks())
      check('the cursor is after the accepted text', vim.api.nvim_win_get_cursor(0)[2] == #line,
        vim.api.nvim_win_get_cursor(0))
      feed('<Esc>')
      next()
    end)
  end)
end)

step('accept one word', function(next)
  type_until_ghost('It is a truth universally acknowledged, that a single man in possession of a good', function(ok)
    check('ghost text appears again', ok, current_line())
    if not ok then return finish() end
    local ghost = require('recur.ghost').text()
    local before = current_line()
    feed('<M-Right>')
    wait_for(function() return current_line() ~= before end, 3000, function(changed)
      local line = current_line()
      local added = line:sub(#before + 1)
      check('<M-Right> inserts the ghost text\'s first word', changed and #added > 0 and vim.startswith(ghost, added)
        and added:match('^%s*%S+$') ~= nil, { ghost = ghost, added = added })
      local rest = ghost:sub(#added + 1)
      check('the rest stays shown', (rest == '' and #ghost_marks() == 0)
        or (ghost_virt_text() ~= nil and vim.startswith(rest, ghost_virt_text())), { rest = rest, shown = ghost_virt_text() })
      feed('<Esc>')
      next()
    end)
  end)
end)

step('dismiss', function(next)
  type_until_ghost('Call me Ishmael. Some years ago, never mind how long precisely, having little or no mo', function(ok)
    check('ghost text appears for dismissing', ok, current_line())
    if not ok then return finish() end
    local before = current_line()
    feed('<C-]>')
    wait_for(function() return #ghost_marks() == 0 end, 2000, function(gone)
      vim.defer_fn(function()
        check('<C-]> dismisses the ghost text without editing', gone and current_line() == before
          and #ghost_marks() == 0, { line = current_line(), marks = ghost_marks() })
        feed('<Esc>')
        next()
      end, 200)
    end)
  end)
end)

step('plain <Tab> still inserts a tab without ghost text', function(next)
  feed('o<C-]><Tab>x<Esc>')
  wait_for(function() return vim.fn.mode() == 'n' end, 2000, function()
    vim.defer_fn(function()
      check('plain <Tab> still inserts a tab without ghost text', current_line() == '\tx', current_line())
      next()
    end, 50)
  end)
end)

step(':RecurStatus', function(next)
  local from = #notifications + 1
  vim.cmd('RecurStatus')
  wait_for(function() return notification_matching('open documents', from) end, 5000, function(ok)
    local n = notification_matching('open documents', from)
    check(':RecurStatus reports the model and open documents', ok and n.message:find('model: ')
      and n.message:find('open documents: 1'), n)
    check(':RecurStatus reports online learning on (the default)', ok and n.message:find('online learning: on, %d+ '
      .. 'bytes learned in %d+ updates, %d+ bytes pending, %d+ queued, %d+ skipped as secrets'), n)
    check('the statusline says Recur is learning', recur.statusline() == 'recur learning', recur.statusline())
    next()
  end)
end)

-- :RecurLearning ARG, waits for its message (`expected`), then asks recur/status:
-- calls `done(status.onlineLearning, the command's answer, its message)`.
local function learning_command(arg, expected, done)
  local from = #notifications + 1
  vim.cmd('RecurLearning ' .. arg)
  local timeout = arg == 'sync' and 120000 or 10000 -- sync waits for the learner
  wait_for(function() return notification_matching('^recur: ' .. expected, from) end, timeout, function(ok)
    local n = notification_matching('^recur: ' .. expected, from)
    check(':RecurLearning ' .. arg .. ' says "' .. expected .. '"', ok, notifications[#notifications])
    local answer = recur.learning
    recur.status(function(status) done(status.onlineLearning, answer, n) end)
  end)
end

step(':RecurLearning off, then toggle', function(next)
  learning_command('off', 'online learning: off', function(state)
    check('recur/status says learning is off after :RecurLearning off',
      type(state) == 'table' and state.enabled == false, state)
    check('the statusline says learning is off', recur.statusline() == 'recur learning off', recur.statusline())
    learning_command('toggle', 'online learning: on', function(toggled)
      check('recur/status says learning is on after :RecurLearning toggle',
        type(toggled) == 'table' and toggled.enabled == true, toggled)
      learning_command('on', 'online learning: on', function(on)
        check('recur/status says learning is on after :RecurLearning on', type(on) == 'table' and on.enabled == true,
          on)
        next()
      end)
    end)
  end)
end)

-- A complete line, then text on the next: the first line is settled, so a sync learns it.
step(':RecurLearning sync learns the typed lines', function(next)
  feed('oThe recurrent daemon learns from the lines you type.<CR>It completes them as you go<Esc>')
  -- Trimmed: the buffer's indentation settings may indent the new line.
  wait_for(function() return vim.fn.mode() == 'n' and vim.trim(current_line()) == 'It completes them as you go' end,
    5000,
    function(typed)
      check('two lines are typed for learning', typed, current_line())
      learning_command('sync', 'synced; online learning: on', function(_, state, n)
        check('the sync answer is an OnlineLearningStatus', type(state) == 'table' and state.enabled == true, state)
        state = type(state) == 'table' and state or {}
        local learned = state.bytesLearned
        check('bytesLearned is an integer >= 0', type(learned) == 'number' and learned == math.floor(learned)
          and learned >= 0, state)
        check('updates is reported', type(state.updates) == 'number', state)
        check('the typed lines are learned', type(learned) == 'number' and learned > 0, state)
        check('the sync message reports the bytes learned', n and n.message:find(
          string.format('%d bytes learned', learned or -1), 1, true), n)
        next()
      end)
    end)
end)

local corpus = work .. '/corpus.txt'
local f = io.open(corpus, 'w')
f:write(string.rep('The recurrent daemon completes the words you type.\n', 60))
f:close()

step(':RecurProfile switches the profile', function(next)
  local from = #notifications + 1
  vim.cmd('RecurProfile nvim-test')
  wait_for(function() return notification_matching('profile nvim%-test', from) end, 5000, function(ok)
    check(':RecurProfile switches the profile', ok, notifications)
    next()
  end)
end)
step(':RecurAdapt shows progress and finishes', function(next)
  local progress = 0
  vim.api.nvim_create_autocmd('User', { pattern = 'RecurAdaptProgress', callback = function()
    progress = progress + 1
  end })
  recur.adapt({ corpus }, { steps = 5 })
  wait_for(function() return recur.last_adapt ~= nil end, 300000, function(ok)
    check(':RecurAdapt finishes with recur/adaptFinished', ok and vim.tbl_contains(
      { 'improved', 'notImproved', 'reused' }, recur.last_adapt.outcome), recur.last_adapt)
    check(':RecurAdapt reports progress', progress > 0, progress)
    check('the finish is announced', notification_matching('adapt nvim%-test') ~= nil, notifications)
    next()
  end)
end)

vim.defer_fn(function() run(1) end, 0)
