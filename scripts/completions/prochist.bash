# bash completion for prochist
_prochist() {
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}
    local cmds="record top peak show apps diff report power status export service doctor help"
    local window="--db --since --until --format --utc --help"
    local query="$window --by --name --children --limit"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return
    fi
    case $prev in
    --db|-o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --by) COMPREPLY=($(compgen -W "app process user unit slice container cgroup" -- "$cur")); return ;;
    --format|-f) COMPREPLY=($(compgen -W "table json csv" -- "$cur")); return ;;
    --sort) COMPREPLY=($(compgen -W "cpu mem disk energy wakeups instructions cycles ctxsw faults syscalls gpu" -- "$cur")); return ;;
    --since|--until|--at) COMPREPLY=($(compgen -W "10m 1h 1d 1w today yesterday now" -- "$cur")); return ;;
    --resolution) COMPREPLY=($(compgen -W "auto 1m 5m 15m 1h 6h 1d" -- "$cur")); return ;;
    --proc-root|--sys-root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    esac
    case $cmd in
    record) COMPREPLY=($(compgen -W "--db --interval --count --retain --max-db-size --proc-root --sys-root --quiet --help" -- "$cur")) ;;
    top) COMPREPLY=($(compgen -W "$query --sort --cpu --mem --disk --energy --wakeups --instructions --cycles --ctxsw --faults --syscalls --gpu --at --explain" -- "$cur")) ;;
    peak) COMPREPLY=($(compgen -W "${query/ --children/} --mem" -- "$cur")) ;;
    show) COMPREPLY=($(compgen -W "$window --by --children --resolution" -- "$cur")) ;;
    apps) COMPREPLY=($(compgen -W "$query" -- "$cur")) ;;
    diff) COMPREPLY=($(compgen -W "$query --vs --sort" -- "$cur")) ;;
    report) COMPREPLY=($(compgen -W "--db --since --until --by --output -o --utc --help" -- "$cur")) ;;
    status) COMPREPLY=($(compgen -W "--db --format --utc --help" -- "$cur")) ;;
    doctor) COMPREPLY=($(compgen -W "--format --proc-root --sys-root --help" -- "$cur")) ;;
    power) COMPREPLY=($(compgen -W "$window --resolution" -- "$cur")) ;;
    export) COMPREPLY=($(compgen -W "--db --format --top --by --since --utc --help" -- "$cur")) ;;
    service) COMPREPLY=($(compgen -W "install uninstall status --system --db --root --flavor --help" -- "$cur")) ;;
    help) COMPREPLY=($(compgen -W "$cmds" -- "$cur")) ;;
    esac
}
complete -F _prochist prochist
