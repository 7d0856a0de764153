// SPDX-License-Identifier: GPL-2.0
/*
 * kb-mark begin|end: executes the cost plugin's region marker
 * (tests/cost/kml-mark.h), for scripts that mark what they run (the
 * redis runs of tests/bench/bench.sh).  The region then also holds this
 * program's exit and whatever the script does until the other marker.
 */
#include <string.h>
#include "kml-mark.h"

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "begin"))
		kml_mark_begin();
	else if (argc == 2 && !strcmp(argv[1], "end"))
		kml_mark_end();
	else
		return 2;
	return 0;
}
