-- Neovim 0.7's built-in LSP client against `recur serve`, with no Recur-specific glue: start the client, attach a
-- buffer, type with real buffer edits (so Neovim sends incremental didChange), ask for completions, and write
-- what came back to $RECUR_OUT as JSON. Run headless: nvim --headless --clean -n -u NONE -l is 0.9+, so this
-- file is sourced with `-c "luafile ..."`.
local out_path = os.getenv("RECUR_OUT")
local recur = os.getenv("RECUR_BIN")
local result = { ok = false }

local function finish()
  local f = io.open(out_path, "w")
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qall!")
end

local ok, err = pcall(function()
  local client_id = vim.lsp.start_client({
    name = "recur",
    cmd = { recur, "serve" },
    root_dir = vim.fn.getcwd(),
  })
  assert(client_id, "could not start recur serve")
  local buf = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_buf_set_name(buf, vim.fn.getcwd() .. "/smoke.py")
  vim.api.nvim_set_current_buf(buf)
  vim.bo[buf].filetype = "python"
  vim.lsp.buf_attach_client(buf, client_id)
  assert(vim.wait(10000, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized
  end), "client did not initialize")
  result.encoding = vim.lsp.get_client_by_id(client_id).offset_encoding

  -- Type line by line with buffer edits: each one is an incremental didChange.
  local lines = { "import os", "", "class Point:", "    def __init__(self, x, y):", "        self.x = x",
    "        se" }
  for i, line in ipairs(lines) do
    vim.api.nvim_buf_set_lines(buf, i - 1, i - 1, false, { line })
  end
  vim.api.nvim_buf_set_lines(buf, #lines, #lines + 1, false, {})
  -- Then type " 🦊" into a comment line, so the line holds a UTF-16 surrogate pair before the cursor.
  vim.api.nvim_buf_set_lines(buf, 0, 0, false, { "# fox 🦊 here" })

  local params = { textDocument = vim.lsp.util.make_text_document_params(buf),
    position = { line = #lines, character = 10 } }
  local responses = vim.lsp.buf_request_sync(buf, "textDocument/completion", params, 20000)
  assert(responses, "no completion response")
  for _, response in pairs(responses) do
    assert(not response.err, vim.inspect(response.err))
    result.isIncomplete = response.result.isIncomplete
    result.items = {}
    for _, item in ipairs(response.result.items) do
      table.insert(result.items, { label = item.label, range = item.textEdit.range })
    end
  end
  result.buffer = vim.api.nvim_buf_get_lines(buf, 0, -1, false)

  local status = vim.lsp.buf_request_sync(buf, "recur/status", vim.empty_dict(), 10000)
  for _, response in pairs(status) do
    result.openDocuments = response.result.openDocuments
  end
  vim.lsp.stop_client(client_id)
  result.ok = true
end)
if not ok then result.error = tostring(err) end
finish()
