# SPDX-License-Identifier: BSD-3-Clause
#
# testhost guest-kernel and guest-initramfs: artifacts for L2 guests (the
# VMs that vireo-vmm or QEMU boot inside the test host). Sourced by
# scripts/testhost.

TH_GUEST_DEFAULT_SCRIPT='echo "vireo-guest: cpus=$(grep -c ^processor /proc/cpuinfo) mem=$(awk '"'"'/^MemTotal:/ { print $2 }'"'"' /proc/meminfo)"'

cmd_guest_kernel() {
	[ $# -eq 1 ] || die_usage "guest-kernel: needs cloud or standard"
	th_flavour_suffix "$1" >/dev/null
	th_ensure_deps
	th_kernel_image "$(th_kernel_dir "$1")"
}

th_build_guest_locked() {
	local out=$1 script=$2 mods=$3 st name path f

	[ -f "$out" ] && return 0
	st=$(mktemp -d "$CACHE/tmp.XXXXXX")
	th_stage_busybox "$st"
	: >"$st/modules.order"
	if [ -n "$mods" ]; then
		while read -r name path; do
			th_mod_copy "$path" "$st/lib/modules/$name.ko"
			echo "$name" >>"$st/modules.order"
		done <<<"$mods"
	fi
	cp "$SELF_DIR/lib-testhost-guest-init" "$st/init"
	chmod 755 "$st/init"
	cp "$script" "$st/script"
	for f in "${TH_GUEST_FILES[@]}"; do
		mkdir -p "$st$(dirname "${f#*:}")"
		cp -p "${f%%:*}" "$st${f#*:}"
	done
	mkdir -p "$(dirname "$out")"
	th_write_cpio "$st" "$out"
	rm -rf "$st"
}

# Checks one --file SRC[:DST] and appends "SRC:DST" to TH_GUEST_FILES.
th_guest_file() {
	local src=${1%%:*} dst

	if [[ "$1" == *:* ]]; then
		dst=${1#*:}
	else
		dst=$(realpath -m "$src")
	fi
	if [ ! -f "$src" ] || [ ! -r "$src" ]; then
		echo "testhost: guest-initramfs: --file: cannot read '$src'" >&2
		exit 2
	fi
	[[ "$dst" =~ ^/[^:[:space:]]+$ ]] && [[ "$dst" != */ ]] ||
		die_usage "guest-initramfs: --file: bad destination '$dst' (absolute path)"
	case "$dst" in
	/init|/script|/modules.order|/bin/busybox)
		die_usage "guest-initramfs: --file: '$dst' is the initramfs's own" ;;
	esac
	TH_GUEST_FILES+=("$(realpath "$src"):$dst")
}

cmd_guest_initramfs() {
	local flavour=cloud script="" modlist="" mods="" tmpscript key out f
	TH_GUEST_FILES=()

	while [ $# -gt 0 ]; do
		case "$1" in
		--kernel|--script|--modules|--file)
			[ $# -ge 2 ] || die_usage "guest-initramfs: $1 needs a value"
			case "$1" in
			--kernel) flavour=$2 ;;
			--script) script=$2 ;;
			--modules) modlist=$2 ;;
			--file) th_guest_file "$2" ;;
			esac
			shift 2
			;;
		*) die_usage "guest-initramfs: unknown argument '$1'" ;;
		esac
	done
	th_flavour_suffix "$flavour" >/dev/null
	if [ -n "$script" ] && [ ! -r "$script" ]; then
		echo "testhost: guest-initramfs: cannot read script '$script'" >&2
		exit 2
	fi
	[[ "$modlist" =~ ^[A-Za-z0-9_,-]*$ ]] ||
		die_usage "guest-initramfs: bad module list '$modlist'"
	th_ensure_deps
	mkdir -p "$CACHE/guest"
	tmpscript=$(mktemp "$CACHE/tmp.script.XXXXXX")
	# shellcheck disable=SC2064 # the name now: a failure below (th_die) exits the script
	trap "rm -f '$tmpscript'" EXIT
	if [ -n "$script" ]; then
		cat "$script" >"$tmpscript"
	else
		echo "$TH_GUEST_DEFAULT_SCRIPT" >"$tmpscript"
	fi
	if [ -n "$modlist" ]; then
		mods=$(th_mod_resolve "$(th_moddir "$(th_kernel_dir "$flavour")")" \
			${modlist//,/ })
	fi
	key=$( {
		echo "guest"
		echo "$mods"
		th_file_hash "$TH_BUSYBOX" "$tmpscript" \
			"$SELF_DIR/lib-testhost-guest-init" \
			"$SELF_DIR/lib-testhost-kernel.sh" \
			"$SELF_DIR/lib-testhost-image.sh" \
			"$SELF_DIR/lib-testhost-guest.sh"
		for f in "${TH_GUEST_FILES[@]}"; do
			echo "${f#*:} $(stat -c %a "${f%%:*}") $(th_file_hash "${f%%:*}")"
		done
	} | sha256sum | cut -c1-16)
	out="$CACHE/guest/initramfs-$key.cpio"
	if [ -f "$out" ]; then
		touch "$out"
	else
		find "$CACHE/guest" -name 'initramfs-*.cpio' -mtime +7 -delete 2>/dev/null || true
		th_locked th_build_guest_locked "$out" "$tmpscript" "$mods"
	fi
	rm -f "$tmpscript"
	trap - EXIT
	echo "$out"
}
