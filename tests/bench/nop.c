// SPDX-License-Identifier: GPL-2.0
/* kb-nop: the program kbench's fork_exec runs; it only exits. */
int main(void)
{
	return 0;
}
