// Profiles of `sysvisor agent`: `--profile NAME=ENGINE[:k=v],ENGINE...` names an engine stack; a
// container's `listenerMetadata` (runtime-spec) chooses one. Pure parsing and choice.
import { UsageError } from '../../chain/errors.js';
import { isEngineName } from '../../engines/registry.js';

/** A profile's name: what a container puts in listenerMetadata. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The name of the -e stack, also what a container with empty listenerMetadata gets. */
export const DEFAULT_PROFILE = 'default';

/**
 * Splits an engine list at the commas that start an engine: a piece that is a known engine name
 * (alone or followed by `:`) or a module path; other pieces continue the options of the engine
 * before (`count:syscalls=openat,getppid,unreal` is count of two syscalls, then unreal).
 */
export function splitEngineList(list: string, known: (name: string) => boolean = isEngineName): string[] {
  const specs: string[] = [];
  for (const piece of list.split(',')) {
    const name = /^([^:=]+)(:|$)/.exec(piece)?.[1];
    const starts = specs.length === 0 || (name !== undefined && (known(name) || /^\.{0,2}\//.test(name)));
    if (starts) specs.push(piece);
    else specs[specs.length - 1] += `,${piece}`;
  }
  return specs;
}

/** `NAME=ENGINE...` options, in order: profile name → engine specs (a name given twice adds to it). */
export function parseProfiles(options: readonly string[], known?: (name: string) => boolean): Map<string, string[]> {
  const profiles = new Map<string, string[]>();
  for (const o of options) {
    const eq = o.indexOf('=');
    const name = eq < 0 ? o : o.slice(0, eq);
    if (eq < 0 || eq === o.length - 1) throw new UsageError(`agent: --profile ${o}: expected NAME=ENGINE[:key=val,...],ENGINE...`);
    if (!NAME.test(name)) throw new UsageError(`agent: --profile ${o}: bad profile name '${name}' (letters, digits, _ . -; at most 64)`);
    if (name === DEFAULT_PROFILE) throw new UsageError(`agent: --profile ${o}: '${DEFAULT_PROFILE}' is the -e stack`);
    profiles.set(name, [...(profiles.get(name) ?? []), ...splitEngineList(o.slice(eq + 1), known)]);
  }
  return profiles;
}

/**
 * The profile of a container from its listenerMetadata: without profiles, always the default
 * stack (the metadata is not ours to read); with them, empty metadata or `default` is the
 * default, a profile's name is that profile, anything else is unknown (undefined).
 */
export function chooseProfile(metadata: string, profiles: ReadonlyMap<string, readonly string[]>): string | undefined {
  const m = metadata.trim();
  if (profiles.size === 0 || m === '' || m === DEFAULT_PROFILE) return DEFAULT_PROFILE;
  return profiles.has(m) ? m : undefined;
}
