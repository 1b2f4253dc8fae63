# Completes $WORDS in a real interactive zsh, as if typed and followed by TAB, with the completion script
# $SCRIPT loaded after compinit; prints what the completion system offered, one candidate a line.
# zsh's completion runs only inside the line editor, hence the pseudo-terminal (zsh/zpty); compadd is
# wrapped to record what every completion function adds. A widget completes and then marks the end, so
# that nothing is typed ahead while completion runs (zsh's completion functions cut work short when keys
# are waiting).
zmodload zsh/zpty
zpty shell env PATH="$PATH" HOME="$PWD" zsh -f -i
zpty -w shell 'PS1="" RPS1=""; autoload -U compinit && compinit -u'
zpty -w shell "source ${(q)SCRIPT}"
zpty -w shell 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a added; local one
  builtin compadd -A added "$@"
  for one in $added; do print -r -- "<<candidate$((1)):$one>>"; done
  builtin compadd "$@"
}'
zpty -w shell 'complete-then-mark() { zle complete-word; print -r -- "<<completed$((1))>>"; zle kill-whole-line }'
zpty -w shell 'zle -N complete-then-mark && bindkey "^X^T" complete-then-mark'
# Markers are computed ($((...))): the terminal echoes what is typed, and only the output has the result.
zpty -w shell 'print -r -- "<<ready$((1))>>"'
zpty -r shell typed '*<<ready1>>*'
zpty -n -w shell "$WORDS"$'\C-x\C-t'
zpty -r shell output '*<<completed1>>*'
zpty -d shell
print -rl -- ${(u)${(M)${(f)output}:#*<<candidate1:*}} | sed -n 's/.*<<candidate1:\(.*\)>>.*/\1/p'
