// Recur for VS Code: starts `recur serve` with vscode-languageclient for every text and code file. Completion items
// come through the language client as they are; inline completions (LSP 3.18 textDocument/inlineCompletion) are
// asked for through the same client; commands cover recur/status, recur/setProfile and recur/adapt with progress.
import * as vscode from 'vscode';
import {
  ErrorCodes,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  TransportKind,
  WorkDoneProgress,
} from 'vscode-languageclient/node';

interface InlineCompletionItem {
  insertText: string | { kind: string; value: string };
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
}

interface AdaptAnswer { jobId: string; profile: string; token: string | number }

interface AdaptFinished {
  jobId: string;
  profile: string;
  outcome: 'improved' | 'notImproved' | 'reused' | 'cancelled' | 'failed';
  message: string;
  valLossBefore?: number;
  valLossAfter?: number;
}

const selector: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];
let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
const finishedWaiters = new Map<string, (finished: AdaptFinished) => void>();

function initializationOptions(config: vscode.WorkspaceConfiguration): Record<string, unknown> {
  const options: Record<string, unknown> = {
    n: config.get<number>('n', 6),
    temperature: config.get<number>('temperature', 0.7),
    maxChars: config.get<number>('maxChars', 40),
    inlineMinProbability: config.get<number>('inlineMinProbability', 0.2),
  };
  const model = config.get<string>('model', '');
  if (model) options.model = model;
  const profile = config.get<string>('profile', '');
  if (profile) options.profile = profile;
  return options;
}

async function startClient(): Promise<void> {
  const config = vscode.workspace.getConfiguration('recur');
  const serverOptions: ServerOptions = {
    command: config.get<string>('path', 'recur'),
    args: ['serve'],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: selector,
    initializationOptions: initializationOptions(config),
    outputChannel: output,
  };
  client = new LanguageClient('recur', 'Recur', serverOptions, clientOptions);
  client.onNotification('recur/adaptFinished', (finished: AdaptFinished) => {
    const waiter = finishedWaiters.get(String(finished.jobId));
    finishedWaiters.delete(String(finished.jobId));
    if (waiter) waiter(finished);
    else showFinished(finished);
  });
  await client.start();
}

async function stopClient(): Promise<void> {
  if (client) await client.stop();
  client = undefined;
}

/** A message for a failed request that says what to do; "method not found" means the binary is too old. */
function describeError(method: string, error: unknown): string {
  if (error instanceof ResponseError && error.code === ErrorCodes.MethodNotFound) {
    return `${method}: this recur does not support the method (${error.message}). Install a newer recur.`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `${method} failed: ${message}`;
}

async function request<R>(method: string, params?: unknown): Promise<R | undefined> {
  if (!client) {
    vscode.window.showErrorMessage('Recur is not running (check recur.path and the Recur output channel).');
    return undefined;
  }
  try {
    return await client.sendRequest<R>(method, params);
  } catch (error) {
    vscode.window.showErrorMessage(describeError(method, error));
    return undefined;
  }
}

const inlineProvider: vscode.InlineCompletionItemProvider = {
  async provideInlineCompletionItems(document, position, context, token) {
    if (!client || !vscode.workspace.getConfiguration('recur').get<boolean>('inlineCompletions', true)) {
      return undefined;
    }
    const c2p = client.code2ProtocolConverter;
    const params = {
      textDocument: c2p.asTextDocumentIdentifier(document),
      position: c2p.asPosition(position),
      // LSP: 1 invoked, 2 automatic; VS Code: 0 invoke, 1 automatic.
      context: { triggerKind: context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke ? 1 : 2 },
    };
    try {
      const result = await client.sendRequest<{ items: InlineCompletionItem[] } | null>(
        'textDocument/inlineCompletion', params, token);
      return (result?.items ?? []).map((item) => {
        const text = typeof item.insertText === 'string' ? item.insertText : item.insertText.value;
        const range = item.range ? client!.protocol2CodeConverter.asRange(item.range) : undefined;
        return new vscode.InlineCompletionItem(text, range);
      });
    } catch {
      return undefined; // cancelled by typing, or the server is restarting
    }
  },
};

function showFinished(finished: AdaptFinished): void {
  let text = `Recur: adapt ${finished.profile}: ${finished.outcome}`;
  if (finished.valLossBefore !== undefined && finished.valLossAfter !== undefined) {
    text += ` (validation loss ${finished.valLossBefore.toFixed(4)} → ${finished.valLossAfter.toFixed(4)})`;
  }
  if (finished.message) text += `: ${finished.message}`;
  if (finished.outcome === 'failed') vscode.window.showWarningMessage(text);
  else vscode.window.showInformationMessage(text);
}

let lastJob: string | undefined;

/** Runs recur/adapt with `source` (paths or openDocuments), showing its $/progress in a notification. */
async function adapt(source: { paths?: string[]; openDocuments?: boolean }): Promise<void> {
  if (!client) return void vscode.window.showErrorMessage('Recur is not running.');
  const running = client;
  const token = `recur-vscode-${Date.now()}`;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Recur: adapting', cancellable: true },
    async (progress, cancellation) => {
      let last = 0;
      const listener = running.onProgress(WorkDoneProgress.type, token, (value) => {
        if (value.kind === 'end') return;
        const percentage = value.percentage;
        progress.report({ message: value.message, increment: percentage !== undefined ? percentage - last : undefined });
        if (percentage !== undefined) last = percentage;
      });
      try {
        const job = await request<AdaptAnswer>('recur/adapt', { ...source, workDoneToken: token });
        if (!job) return;
        lastJob = String(job.jobId);
        const finished = new Promise<AdaptFinished>((resolve) => finishedWaiters.set(String(job.jobId), resolve));
        cancellation.onCancellationRequested(() => void request('recur/cancelAdapt', { jobId: job.jobId }));
        showFinished(await finished);
      } finally {
        listener.dispose();
        lastJob = undefined;
      }
    });
}

async function status(): Promise<void> {
  const s = await request<any>('recur/status');
  if (!s) return;
  const lines = [
    s.model ? `model: ${s.model.name}, ${s.model.architecture}, ${s.model.precision}` : `no model: ${s.modelError}`,
    `open documents: ${s.openDocuments}, memory: ${(s.residentMemoryBytes / 1e6).toFixed(1)} MB, ` +
      `encoding: ${s.positionEncoding}`,
  ];
  const latency = s.completionLatency;
  if (latency?.count > 0) {
    lines.push(`latency: p50 ${latency.p50Milliseconds.toFixed(1)} ms, p95 ${latency.p95Milliseconds.toFixed(1)} ms, ` +
      `p99 ${latency.p99Milliseconds.toFixed(1)} ms (${latency.count} requests)`);
  }
  if (s.profile) {
    lines.push(`profile: ${s.profile} (${s.adapterId !== undefined && s.adapterId !== null ? `adapter ${s.adapterId}` : 'base model'})`);
  }
  for (const warning of s.storeWarnings ?? []) lines.push(`warning: ${warning}`);
  output.appendLine(lines.join('\n'));
  output.appendLine(JSON.stringify(s, null, 2));
  output.show(true);
  vscode.window.showInformationMessage(`Recur: ${lines.join('; ')}`);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('Recur');
  context.subscriptions.push(
    output,
    vscode.languages.registerInlineCompletionItemProvider(selector, inlineProvider),
    vscode.commands.registerCommand('recur.status', status),
    vscode.commands.registerCommand('recur.setProfile', async () => {
      const profile = await vscode.window.showInputBox({ prompt: 'Recur profile' });
      if (!profile) return;
      const result = await request<{ profile: string; adapterId?: number }>('recur/setProfile', { profile });
      if (result) {
        vscode.window.showInformationMessage(`Recur: profile ${result.profile} (` +
          (result.adapterId !== undefined ? `adapter ${result.adapterId})` : 'base model)'));
      }
    }),
    vscode.commands.registerCommand('recur.adapt', async () => {
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: true, canSelectFolders: true, canSelectMany: true, openLabel: 'Adapt',
      });
      if (picked && picked.length > 0) await adapt({ paths: picked.map((uri) => uri.fsPath) });
    }),
    vscode.commands.registerCommand('recur.adaptOpenDocuments', () => adapt({ openDocuments: true })),
    vscode.commands.registerCommand('recur.cancelAdapt', async () => {
      if (lastJob) await request('recur/cancelAdapt', { jobId: lastJob });
      else vscode.window.showInformationMessage('Recur: no adaptation is running.');
    }),
    vscode.commands.registerCommand('recur.restart', async () => {
      await stopClient();
      await startClient();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      const restart = ['path', 'model', 'profile', 'temperature', 'n', 'maxChars', 'inlineMinProbability']
        .some((key) => event.affectsConfiguration(`recur.${key}`));
      if (restart) {
        await stopClient();
        await startClient();
      }
    }),
  );
  try {
    await startClient();
  } catch (error) {
    vscode.window.showErrorMessage(`Recur: could not start ${vscode.workspace.getConfiguration('recur')
      .get('path')} serve: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
