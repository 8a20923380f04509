// The virtual cwd of each process, for one `unreal` instance: the real cwd is the kernel's (chdir
// is rewritten so the kernel's cwd follows), and this keeps the level on top of it: after
// `cd /unreal/unreal/etc` the kernel's cwd is /etc and the level is 2, so getcwd says
// /unreal/unreal/etc.
//
// A process's state is a short history of (directory, level): each successful chdir adds its level
// (bound to the directory on the next look-up, once the kernel has run it), and a look-up takes the
// newest entry for the directory the process is in now, or level 0. So fchdir back to a directory
// entered earlier finds its level again, and a cwd changed behind our back falls back to 0.
// Threads share their process's state (keyed by tgid); a new process inherits its parent's.
import type { RawBinding } from '../../native/load.js';

export type TaskInfoSource = Pick<RawBinding, 'taskInfo'>;

interface Entry {
  dev: number;
  ino: number;
  level: number;
}

interface State {
  start: number;
  history: Entry[];
  /** Level set by a chdir the kernel has not run yet when it was recorded. */
  pending?: number;
}

const HISTORY = 8;
const MAX_STATES = 4096;
const MAX_ANCESTORS = 16;

export class CwdLevels {
  private readonly states = new Map<number, State>();
  /** False until some chdir entered a level: every cwd is then at level 0. */
  used = false;

  constructor(private readonly src: TaskInfoSource) {}

  /** The level of thread tid's cwd (0 when nothing is known). */
  level(tid: number): number {
    const info = this.src.taskInfo(tid);
    if (!info) return 0;
    const { tgid, ppid, start, cwdDev: dev, cwdIno: ino } = info;
    const st = this.state(tgid, ppid, start);
    if (!st) return 0;
    if (st.pending !== undefined) {
      if (dev >= 0) this.push(st, { dev, ino, level: st.pending });
      st.pending = undefined;
    }
    for (const e of st.history) if (e.dev === dev && e.ino === ino) return e.level;
    return 0;
  }

  /**
   * The level recorded for directory (dev, ino) in thread tid's process (its history, or the one
   * it inherited), undefined when none is.
   */
  known(tid: number, dev: number, ino: number): number | undefined {
    if (!this.used) return undefined;
    const info = this.src.taskInfo(tid);
    if (!info) return undefined;
    this.level(tid); // binds a pending chdir first
    const st = this.state(info.tgid, info.ppid, info.start);
    return st?.history.find((e) => e.dev === dev && e.ino === ino)?.level;
  }

  /**
   * Records the level a chdir of thread tid is about to give its process; `target` is the
   * directory's (dev, ino) when known, else it is bound to the cwd at the next look-up.
   */
  chdir(tid: number, level: number, target?: readonly [number, number]): void {
    if (level === 0 && !this.used) return;
    this.used = true;
    const info = this.src.taskInfo(tid);
    if (!info) return;
    const { tgid, ppid, start } = info;
    const st = this.state(tgid, ppid, start, true)!;
    if (target) {
      this.push(st, { dev: target[0], ino: target[1], level });
      return;
    }
    if (st.pending !== undefined) {
      // An earlier chdir not looked at since: bind it first (to where that one went).
      this.level(tid);
    }
    st.pending = level;
  }

  private push(st: State, e: Entry): void {
    st.history = [e, ...st.history.filter((h) => h.dev !== e.dev || h.ino !== e.ino)].slice(0, HISTORY);
  }

  // The state of process tgid, inherited from the nearest known ancestor when new.
  private state(tgid: number, ppid: number, start: number, create = false): State | undefined {
    const st = this.states.get(tgid);
    if (st && st.start === start) return st;
    const inherited = this.ancestor(ppid);
    if (!inherited && !create) return undefined;
    const fresh: State = {
      start,
      history: inherited ? inherited.history.slice() : [],
      ...(inherited?.pending !== undefined ? { pending: inherited.pending } : {}),
    };
    if (this.states.size >= MAX_STATES) this.prune();
    this.states.set(tgid, fresh);
    return fresh;
  }

  private ancestor(pid: number): State | undefined {
    for (let i = 0; i < MAX_ANCESTORS && pid > 1; i++) {
      const info = this.src.taskInfo(pid);
      if (!info) return undefined;
      const st = this.states.get(info.tgid);
      if (st && st.start === info.start) return st;
      pid = info.ppid;
    }
    return undefined;
  }

  private prune(): void {
    for (const [tgid, st] of this.states) {
      const info = this.src.taskInfo(tgid);
      if (!info || info.start !== st.start) this.states.delete(tgid);
    }
  }
}
