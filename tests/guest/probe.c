// SPDX-License-Identifier: GPL-2.0
/* Exit with the CPL this program runs at: for tests that exec it. */
int main(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}
