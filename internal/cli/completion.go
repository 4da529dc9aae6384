package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
)

func completionCommand() *command {
	return &command{
		name:    "completion",
		args:    "bash|zsh",
		summary: "print a shell completion script (e.g. source <(meshctl completion bash))",
		run: func(ctx context.Context, e *env, fs argv) int {
			if fs.NArg() != 1 {
				return e.usageError(fs, "completion needs the shell: bash or zsh")
			}
			switch fs.Arg(0) {
			case "bash":
				writeBashCompletion(e.stdout, root())
			case "zsh":
				fmt.Fprintln(e.stdout, "autoload -U +X bashcompinit && bashcompinit")
				writeBashCompletion(e.stdout, root())
			default:
				return e.usageError(fs, "completion: unknown shell %q; want bash or zsh", fs.Arg(0))
			}
			return exitOK
		},
	}
}

// writeBashCompletion emits a completion function that completes command words from the
// command tree.
func writeBashCompletion(w io.Writer, root *command) {
	fmt.Fprintln(w, "_meshctl() {")
	fmt.Fprintln(w, `  local cur words path i`)
	fmt.Fprintln(w, `  cur="${COMP_WORDS[COMP_CWORD]}"`)
	fmt.Fprintln(w, `  path=""`)
	fmt.Fprintln(w, `  for ((i=1; i<COMP_CWORD; i++)); do case "${COMP_WORDS[i]}" in -*) ;; *) path="$path ${COMP_WORDS[i]}";; esac; done`)
	fmt.Fprintln(w, `  case "${path# }" in`)
	var walk func(c *command, prefix string)
	walk = func(c *command, prefix string) {
		if len(c.sub) == 0 {
			return
		}
		var names []string
		for _, s := range c.sub {
			names = append(names, s.name)
		}
		fmt.Fprintf(w, "    %q) words=%q;;\n", prefix, strings.Join(names, " "))
		for _, s := range c.sub {
			walk(s, strings.TrimSpace(prefix+" "+s.name))
		}
	}
	walk(root, "")
	fmt.Fprintln(w, `    *) words="";;`)
	fmt.Fprintln(w, `  esac`)
	fmt.Fprintln(w, `  COMPREPLY=( $(compgen -W "$words" -- "$cur") )`)
	fmt.Fprintln(w, "}")
	fmt.Fprintln(w, "complete -F _meshctl meshctl")
}
