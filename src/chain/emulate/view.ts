// The views of the engines that map paths, as the executor's walks need them: a symlink target is
// what the program wrote, in its view (a venv's `bin/python3 -> /unreal/usr/bin/python3`). When an
// emulated call follows an absolute target, the addon's walker strips each engine's prefix from it
// (innermost first, up to that engine's levels), so the link lands where it would under a real
// /unreal instead of dangling on the real tree. Engines push their view on the calls they see.
import type { Syscall } from '../syscall.js';

const VIEWS = Symbol('views');

/** The views pushed by the engines on this call's way so far, innermost first: [prefix, levels]. */
export function linkViews(call: Syscall): [string, number][] {
  return call.memo<[string, number][]>(VIEWS, () => []);
}

/** The request field for the addon: `{ view }`, or nothing when no engine pushed one. */
export function viewField(call: Syscall): { view?: readonly (readonly [string, number])[] } {
  const v = linkViews(call);
  return v.length > 0 ? { view: v } : {};
}

const EXEC_NAME = Symbol('exec name');

/**
 * For an execve: the name the new program must find as AT_EXECFN, set by an engine where the
 * kernel execs another file than the one the program named (a `#!` script's interpreter exec'd
 * instead: the script's name, as binfmt_script leaves it). A path rewritten in place needs none:
 * the executor names the path as the program gave it.
 */
export function execName(call: Syscall): { name?: string } {
  return call.memo<{ name?: string }>(EXEC_NAME, () => ({}));
}

const LINK_BACK = Symbol('link back');

/**
 * For a readlink the kernel answers (a procfs link to another process's cwd or program, which
 * only the kernel may say the caller can read): its answer `from` (the real path) becomes `to`
 * (the path in the view) at the call's exit. Set by the engine that knows the view.
 */
export function linkBack(call: Syscall): { from?: string; to?: string } {
  return call.memo<{ from?: string; to?: string }>(LINK_BACK, () => ({}));
}
