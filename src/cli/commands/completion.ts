import type { Argv, CommandModule } from 'yargs'
import type { CliIO, GlobalArgs } from '../io.js'
import type { CommandResult } from '../main.js'

type Shell = 'bash' | 'zsh'

interface CompletionArgs extends GlobalArgs {
  shell: Shell
}

export function completionCommand(io: CliIO, done: (result: CommandResult) => void): CommandModule<GlobalArgs, CompletionArgs> {
  return {
    command: 'completion <shell>',
    describe: 'Print a bash or zsh completion script for kubectl-pharos_net',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional('shell', { choices: ['bash', 'zsh'] as const, demandOption: true, describe: 'the shell to complete in' })
        .example('source <(kubectl-pharos_net completion bash)', 'complete in this bash session')
        .example('kubectl-pharos_net completion zsh > "${fpath[1]}/_kubectl-pharos_net"', 'install for zsh'),
    handler: (args) =>
      done(async () => {
        io.stdout.write(COMPLETION_SCRIPTS[args.shell])
        return 0
      }),
  }
}

/**
 * Both scripts ask the program itself (`kubectl-pharos_net __complete WORDS...`, src/cli/completion.ts)
 * and follow the directive on its last line: 4, no file names; 16, folders only; 0 with no candidates,
 * file names.
 */
const BASH_SCRIPT = `# bash completion for kubectl-pharos_net (bash 4 or later)
# Load it with: source <(kubectl-pharos_net completion bash)
_kubectl_pharos_net_complete() {
  local -a words=()
  local i word
  for ((i = 1; i <= COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    # COMP_WORDBREAKS splits --flag=value into --flag, =, value: the program gets them joined again.
    if ((\${#words[@]})) && [[ $word == = || \${words[\${#words[@]} - 1]} == -*= ]]; then
      words[\${#words[@]} - 1]+=$word
    else
      words+=("$word")
    fi
  done
  local current=\${words[\${#words[@]} - 1]-} prefix=
  # Of --flag=value, the shell replaces only the value.
  [[ $current == -*=* ]] && prefix=\${current%%=*}=
  local cur=\${current#"$prefix"}
  local out
  out=$("\${COMP_WORDS[0]}" __complete "\${words[@]}" 2>/dev/null) || return 0
  local directive=\${out##*:}
  out=\${out%:*}
  local -a candidates=()
  local line
  while IFS= read -r line; do
    line=\${line%%$'\\t'*}
    [[ -n $line ]] && candidates+=("\${line#"$prefix"}")
  done <<<"$out"
  COMPREPLY=()
  if ((directive & 16)); then
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    compopt -o filenames 2>/dev/null
  elif ((\${#candidates[@]} == 0)); then
    if (((directive & 4) == 0)); then
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      compopt -o filenames 2>/dev/null
    fi
  else
    mapfile -t COMPREPLY < <(compgen -W "\${candidates[*]}" -- "$cur")
  fi
  return 0
}
complete -F _kubectl_pharos_net_complete kubectl-pharos_net
`

const ZSH_SCRIPT = `#compdef kubectl-pharos_net
# zsh completion for kubectl-pharos_net
# Load it with: source <(kubectl-pharos_net completion zsh) after compinit,
# or save it as _kubectl-pharos_net in a folder of $fpath.
_kubectl_pharos_net() {
  local out directive line
  local -a lines candidates
  out=$(\${~words[1]} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]#:}
  for line in "\${(@)lines[1,-2]}"; do
    [[ -z $line ]] && continue
    if [[ $line == *$'\\t'* ]]; then
      candidates+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
    else
      candidates+=("\${line//:/\\\\:}")
    fi
  done
  if ((directive & 16)); then
    # Of --flag=value, only the value is a path.
    compset -P '-*='
    _path_files -/
  elif ((\${#candidates} == 0)); then
    ((directive & 4)) || { compset -P '-*='; _files }
  else
    _describe 'kubectl-pharos_net' candidates
  fi
}
if [[ $funcstack[1] == _kubectl-pharos_net ]]; then
  _kubectl_pharos_net "$@"
else
  compdef _kubectl_pharos_net kubectl-pharos_net
fi
`

const COMPLETION_SCRIPTS: Record<Shell, string> = { bash: BASH_SCRIPT, zsh: ZSH_SCRIPT }
