/**
 * The test git server in a process of its own, for benchmarks. Each git request forks
 * `git http-backend`, and forking blocks the forking process's event loop for as long as it takes
 * to copy and tear down that process's memory map: run inside a benchmark that also hosts the
 * Jira emulator, every fork stalled the emulator too. A small process of its own forks quickly
 * and stalls nobody else, as a git host on another machine would.
 *
 * Run as a script it is that process: it starts the server and answers the parent's messages.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGitServer, type CreateRepoOptions, type GitServer, type RecordedRequest } from './server.ts';

type Call = { op: 'createRepo'; name: string; opts?: CreateRepoOptions } | { op: 'requests' } | { op: 'stop' };
type Request = Call & { id: number };
type Reply = { id: number; value?: unknown; error?: string };
type Endpoint = Pick<GitServer, 'baseUrl' | 'username' | 'password' | 'caPem' | 'caFile' | 'root'>;
type Ready = { ready: Endpoint };

export interface GitServerProcess extends Endpoint {
  pid: number;
  createRepo(name: string, opts?: CreateRepoOptions): Promise<string>;
  /** Every request served so far, oldest first. */
  requests(): Promise<RecordedRequest[]>;
  stop(): Promise<void>;
}

/** Starts the server in a child process (stopped by stop(), or with this process). */
export async function startGitServerProcess(): Promise<GitServerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map<number, PromiseWithResolvers<unknown>>();
  let next = 0;
  const ready = await new Promise<Ready['ready']>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`git server process exited with ${code} before it was ready`)));
    child.once('message', (m) => resolve((m as Ready).ready));
  });
  child.on('message', (m) => {
    const r = m as Reply;
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (r.error !== undefined) p?.reject(new Error(r.error));
    else p?.resolve(r.value);
  });
  child.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error('git server process exited'));
    pending.clear();
  });
  const call = <T>(req: Call): Promise<T> => {
    const p = Promise.withResolvers<unknown>();
    const id = next++;
    pending.set(id, p);
    child.send({ ...req, id });
    return p.promise as Promise<T>;
  };
  return {
    ...ready,
    pid: child.pid!,
    createRepo: (name, opts) => call<string>({ op: 'createRepo', name, opts }),
    requests: () => call<RecordedRequest[]>({ op: 'requests' }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call({ op: 'stop' }).catch(() => undefined);
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const server = await startGitServer();
  const send = (m: Reply | Ready) => process.send!(m);
  // The parent going away (even by SIGKILL) ends this process too.
  process.on('disconnect', () => void server.stop().finally(() => process.exit(0)));
  process.on('message', (m) => {
    const req = m as Request;
    const answer = async (): Promise<unknown> => {
      if (req.op === 'createRepo') return server.createRepo(req.name, req.opts);
      if (req.op === 'requests') return server.requests;
      await server.stop();
      setImmediate(() => process.exit(0));
      return undefined;
    };
    answer().then((value) => send({ id: req.id, value }), (err: unknown) => send({ id: req.id, error: err instanceof Error ? err.message : String(err) }));
  });
  send({ ready: { baseUrl: server.baseUrl, username: server.username, password: server.password, caPem: server.caPem, caFile: server.caFile, root: server.root } });
}
