# bash completion for zbud(1): commands, and each command's options.
#
# Both are read from zbud itself (`zbud --help`, `zbud CMD --help`), so that
# the completion never falls behind the program.  Options that take a file
# complete file names; --allocator and --zpool the allocators.

_zbud_commands()
{
	"$1" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'
}

_zbud_options()
{
	"$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

_zbud()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local zbud=${COMP_WORDS[0]} cmd=() i

	# The command (and bench's job) before the cursor; stop at "--".
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--) return 0 ;;                 # estimate -- CMD: bash's own completion is better
		-*) ;;
		*) [ ${#cmd[@]} -lt 2 ] && cmd+=("${COMP_WORDS[i]}") ;;
		esac
	done
	if [ ${#cmd[@]} = 0 ]; then
		COMPREPLY=($(compgen -W "$(_zbud_commands "$zbud") help --help --version" -- "$cur"))
		return 0
	fi
	if [ "${cmd[0]}" = help ]; then
		[ ${#cmd[@]} = 1 ] && COMPREPLY=($(compgen -W "$(_zbud_commands "$zbud")" -- "$cur"))
		return 0
	fi
	if [ "${cmd[0]}" = bench ] && [ ${#cmd[@]} = 1 ]; then
		COMPREPLY=($(compgen -W "$("$zbud" bench --help 2>/dev/null |
			sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')" -- "$cur"))
		return 0
	fi
	case $prev in
	--trace | --sizes | --core | --raw | --plot | --save-sizes | --files | --root)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--allocator | --zpool)
		COMPREPLY=($(compgen -W "zbud z3fold zsmalloc ideal" -- "$cur"))
		return 0
		;;
	--compressor)
		COMPREPLY=($(compgen -W "lz4 lz4hc zstd lzo deflate" -- "$cur"))
		return 0
		;;
	--pid)
		COMPREPLY=($(compgen -W "$(ps -eo pid= 2>/dev/null)" -- "$cur"))
		return 0
		;;
	esac
	if [[ $cur == -* ]] || [ -z "$cur" ]; then
		COMPREPLY=($(compgen -W "$(_zbud_options "$zbud" "${cmd[@]}")" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
	fi
	return 0
}

complete -F _zbud zbud
