// SPDX-License-Identifier: GPL-2.0
/*
 * Print the value of every item of layout.h as the header given with -include sees it.  Constants
 * are printed with their type's size and signedness, so that (1 << 2) and (1ULL << 2) differ.
 */
#include <stddef.h>
#include <stdio.h>

#define SIGNED(x) ((__typeof__(x))-1 < (__typeof__(x))0)

int main(void)
{
#define C(name) \
	printf("const %s = %llu (%zu bytes, %s)\n", #name, (unsigned long long)(name), \
	       sizeof(name), SIGNED(name) ? "signed" : "unsigned");
#define S(type) printf("sizeof struct %s = %zu\n", #type, sizeof(struct type));
#define F(type, field) \
	printf("struct %s.%s at %zu, %zu bytes\n", #type, #field, \
	       offsetof(struct type, field), sizeof(((struct type *)0)->field));
#define T(type, field) \
	printf("struct %s.%s is %s\n", #type, #field, \
	       SIGNED(((struct type *)0)->field) ? "signed" : "unsigned");
#include "layout.h"
	return 0;
}
