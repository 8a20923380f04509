// What `sysvisor --help`, `sysvisor help ENGINE` and `sysvisor completion` print: the usage text,
// and per engine its summary, its options and an example, taken from the factories themselves.
// The man page (man/sysvisor.1) says the same at length; test/help.test.ts keeps them together.
import type { EngineFactory } from '../chain/engine.js';
import { builtinEngines } from '../engines/registry.js';

export const HELP = `usage: sysvisor run [--loadable NAME]... [--allow MODULE]... [--sealed] [--complete] [--on-supervisor-exit=kill|continue] [--transport unotify|ptrace|auto]
                    [--stats FILE] [-e ENGINE[:key=val,...]]... [--] COMMAND [ARGS]...
       sysvisor load ENGINE[:key=val,...]   (inside a supervised tree)
       sysvisor unload ENGINE               (inside a supervised tree)
       sysvisor engines                     list the engine scopes (inside) or the built-ins
       sysvisor agent --socket PATH [-e ENGINE[:key=val,...]]...
                                            OCI seccomp agent: serves runc/crun containers
                                            (linux.seccomp.listenerPath = PATH)
       sysvisor oci-seccomp -e ENGINE... [--socket PATH] [--merge config.json]
                                            prints the linux.seccomp section for the agent
       sysvisor bench [--runs N] [--json FILE] [-e ENGINE[:key=val,...]]... [--] COMMAND [ARGS]...
                                            COMMAND natively, over each transport, under strace
                                            and proot: one table (sysvisor bench --help)
       sysvisor demo                        run the demonstration
       sysvisor help [ENGINE|MODULE]        this text with every engine, or one engine
       sysvisor completion                  a bash completion script (source it)
       sysvisor --help | --version

Runs COMMAND under the engines, outermost (nearest the kernel) first; the last -e is nearest
the program. Exit status is COMMAND's (128+N when killed by signal N).
Inside a supervised tree, \`sysvisor run\` pushes its engines as a new innermost scope for
COMMAND's subtree, and load/unload change the scope the caller runs in.
ENGINE is a built-in name or, on the outermost sysvisor, a module path (./my-engine.js) whose
default export is an EngineFactory. --allow MODULE registers a module without running it, so
that processes inside can load it by name.
--loadable NAME: the filter notifies NAME's syscalls from the start, so that processes inside can
load NAME or nest a \`sysvisor run -e NAME\` (e.g. --loadable unreal; 'all' for every built-in).
A run that names no engine (no -e) acts as --loadable all: a machine waiting for engines.
Engines that need no more than the outermost filter notifies (trace, count of those calls) can
always be loaded or nested.
--sealed: processes inside can neither load engines nor nest.
--complete: calls that would escape the engines fail with ENOSYS: io_uring (its operations are
not syscalls) and syscalls of a foreign ABI (i386 int 0x80, x32).
--on-supervisor-exit: if sysvisor itself dies (SIGKILL), its launcher process kills COMMAND's
whole tree (kill, the default), or lets it run on with every intercepted call continued as if
no engine were there (continue). In a nested run, the same rule holds for its subtree; a scope
whose owner is gone is ended by the supervisor above (its processes killed, or left running
without the scope's engines with continue).
--transport: how calls reach the engines: seccomp user notification (unotify), ptrace stops
(ptrace), or auto (the default): unotify, else ptrace when a seccomp listener above holds the
slot (EBUSY), said in one line. A nested run uses the transport of the sysvisor above.
--stats FILE: at the end, writes the run's figures to FILE as JSON: {"intercepted": N}, the calls
that reached the supervisor (null in a nested run).
`;

/** One engine: its name and summary, each option with its description, its example. */
export function engineHelp(f: EngineFactory): string {
  const opts = Object.entries(f.options).map(([k, d]) => `      ${k}=...  ${d}\n`);
  return `  ${f.name}  ${f.summary}\n${opts.join('')}${f.example ? `    example: ${f.example}\n` : ''}`;
}

/** The usage text, then every built-in engine. */
export function helpWithEngines(): string {
  return `${HELP}\nBuilt-in engines (-e NAME[:key=val,...]; \`sysvisor help NAME\` for one):\n${builtinEngines().map(engineHelp).join('')}`;
}

// Completion of `sysvisor ...` in bash, generated from the same tables: subcommands, the options
// of run and agent, engine names and each engine's option keys after -e (bash splits words at ':'
// and '=', so candidates are matched on the whole argument and shown from its last ':', '=' or ',').
export const SUBCOMMANDS = ['run', 'load', 'unload', 'engines', 'agent', 'oci-seccomp', 'bench', 'demo', 'help', 'completion', '--help', '--version'];
export const RUN_OPTIONS = ['-e', '--engine', '--loadable', '--allow', '--sealed', '--complete', '--on-supervisor-exit', '--transport', '--stats', '--help', '--'];
const BENCH_OPTIONS = ['--runs', '--json', '-e', '--engine', '--help', '--'];
const AGENT_OPTIONS = ['--socket', '-e', '--engine', '--profile', '--metrics', '--log', '--hold', '--spin', '--help'];

export function completionScript(): string {
  const engines = builtinEngines();
  const keys = engines.map((f) => `    ${f.name}) keys='${Object.keys(f.options).join(' ')}' ;;`).join('\n');
  return `# bash completion for sysvisor (generated by \`sysvisor completion\`)
_sysvisor() {
  local i arg cands= keys= name
  # The line is split at blanks here: bash also splits at ':' and '=', which are inside our arguments.
  arg=\${COMP_LINE:0:COMP_POINT}
  local before=\${arg%\"\${arg##*[[:space:]]}\"}
  arg=\${arg##*[[:space:]]}
  local words
  read -ra words <<< "$before"
  local cword=\${#words[@]}
  for ((i = 2; i < cword; i++)); do
    if [[ \${words[i]} == -- ]]; then
      if ((i + 1 < cword)); then COMPREPLY=($(compgen -f -- "$arg")); else COMPREPLY=($(compgen -c -- "$arg")); fi
      return 0
    fi
  done
  local prev=\${words[cword - 1]}
  if ((cword == 1)); then
    cands='${SUBCOMMANDS.join(' ')}'
  else
    case $prev in
      -e|--engine)
        if [[ $arg == *:* ]]; then
          name=\${arg%%:*}
          case $name in
${keys}
          esac
          local head=\${arg%[:,]*}
          head+=\${arg:\${#head}:1}
          for i in $keys; do cands+="$head$i= "; done
        else
          cands='${engines.map((f) => f.name).join(' ')}'
        fi ;;
      --loadable) cands='all ${engines.map((f) => f.name).join(' ')}' ;;
      --on-supervisor-exit) cands='kill continue' ;;
      --transport) cands='unotify ptrace auto' ;;
      --allow|--socket|--stats|--json) COMPREPLY=($(compgen -f -- "$arg")); return ;;
      *)
        case \${words[1]} in
          run) cands='${RUN_OPTIONS.join(' ')}' ;;
          agent) cands='${AGENT_OPTIONS.join(' ')}' ;;
          bench) cands='${BENCH_OPTIONS.join(' ')}' ;;
          load|unload|help) cands='${engines.map((f) => f.name).join(' ')}' ;;
        esac ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$cands" -- "$arg"))
  # Show each candidate from where bash's word starts (after the last ':' or '=').
  local cut=\${arg%\"\${arg##*[:=]}\"}
  [[ -n $cut ]] && COMPREPLY=("\${COMPREPLY[@]#\"$cut\"}")
  [[ \${COMPREPLY[0]} == *[=:] ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -F _sysvisor sysvisor
`;
}
