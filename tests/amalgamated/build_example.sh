#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# Build one example as a user who vendored the amalgamated header would: the
# example and the single mshv.h copied into an empty folder, compiled there
# with no include path, strict C99.
#
# Usage: build_example.sh AMALGAMATED_MSHV_H EXAMPLE.c OUTPUT CC [CC ARGS...]
set -eu
single=$1 example=$2 out=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$single" "$dir/mshv.h"
cp "$example" "$dir/"
(cd "$dir" && "$@" -std=c99 -pedantic-errors -Wall -Wextra -Werror -O2 -pthread \
	-o example "$(basename "$example")")
cp "$dir/example" "$out"
