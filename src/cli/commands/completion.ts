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
const BASH_SCRIPT = `# bash completion for kubectl-pharos_net
# Load it with: source <(kubectl-pharos_net completion bash)
_kubectl_pharos_net_complete() {
  local cur words cword
  if declare -F _get_comp_words_by_ref >/dev/null; then
    # bash-completion keeps --flag=value in one word.
    _get_comp_words_by_ref -n =: cur words cword
  else
    cur=\${COMP_WORDS[COMP_CWORD]} words=("\${COMP_WORDS[@]}") cword=$COMP_CWORD
  fi
  local out
  out=$("\${words[0]}" __complete "\${words[@]:1:cword}" 2>/dev/null) || return 0
  local directive=\${out##*:}
  out=\${out%:*}
  local -a candidates=()
  local line
  while IFS= read -r line; do
    [[ -n $line ]] && candidates+=("\${line%%$'\\t'*}")
  done <<<"$out"
  COMPREPLY=()
  if (( directive & 16 )); then
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    compopt -o filenames 2>/dev/null
  elif (( \${#candidates[@]} == 0 )); then
    if (( (directive & 4) == 0 )); then
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
# Load it with: source <(kubectl-pharos_net completion zsh), or save it as _kubectl-pharos_net in $fpath
_kubectl_pharos_net() {
  local out directive line
  local -a lines candidates
  out=$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
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
  if (( directive & 16 )); then
    _path_files -/
  elif (( \${#candidates} == 0 )); then
    (( directive & 4 )) || _files
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
