/*
 * test_order.c - the neutral order: the shuffle is fair (every
 * candidate first equally often over many seeds, every permutation
 * equally likely), the same seed always gives the same order, a grid of
 * a few candidates keeps the whole list's order, and the organiser's
 * rule is stored, validated and bumps the page generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>

#include "compare.h"
#include "core.h"

#define SEEDS 60000

/* Within 5 standard deviations of a binomial's mean */
static void assert_about(size_t got, size_t trials, double p)
{
	double mean = trials * p, sd = 0;
	double var = trials * p * (1 - p);

	/* a square root without libm: Newton's method */
	sd = var > 1 ? var / 2 : 1;
	for (int i = 0; i < 50; i++)
		sd = (sd + var / sd) / 2;
	if ((double)got < mean - 5 * sd || (double)got > mean + 5 * sd)
		fail_msg("%zu of %zu, expected about %.0f (sd %.1f)", got,
			 trials, mean, sd);
}

static void first_place_is_fair(void **state)
{
	size_t perm[7], first[7], n, k;
	uint64_t seed;

	(void)state;
	for (n = 2; n <= 7; n++) {
		memset(first, 0, sizeof(first));
		for (seed = 0; seed < SEEDS; seed++) {
			assert_int_equal(order_permutation(perm, n,
							   seed * 7919 + n,
							   "valbrune-2026"),
					 0);
			first[perm[0]]++;
		}
		for (k = 0; k < n; k++)
			assert_about(first[k], SEEDS, 1.0 / (double)n);
	}
}

/*
 * All 3! = 6 permutations equally often: the classic biased shuffles
 * (swapping with any position, or a plain modulo of a small word) fail
 * this, a first-place count alone might not.
 */
static void every_permutation_equally_likely(void **state)
{
	size_t perm[3], count[9] = {0}, k, found = 0;
	uint64_t seed;

	(void)state;
	for (seed = 0; seed < SEEDS; seed++) {
		assert_int_equal(order_permutation(perm, 3, seed, "e"), 0);
		count[perm[0] * 3 + perm[1]]++;
	}
	for (k = 0; k < 9; k++) {
		if (!count[k])
			continue;
		found++;
		assert_about(count[k], SEEDS, 1.0 / 6);
	}
	assert_int_equal(found, 6);
}

static void same_seed_same_order(void **state)
{
	size_t a[20], b[20], c[20], i, seen[20] = {0};
	int differ = 0;

	(void)state;
	assert_int_equal(order_permutation(a, 20, 42, "ville-2026"), 0);
	assert_int_equal(order_permutation(b, 20, 42, "ville-2026"), 0);
	assert_memory_equal(a, b, sizeof(a));
	for (i = 0; i < 20; i++)
		seen[a[i]]++;
	for (i = 0; i < 20; i++)
		assert_int_equal(seen[i], 1); /* a permutation */
	assert_int_equal(order_permutation(c, 20, 43, "ville-2026"), 0);
	differ |= memcmp(a, c, sizeof(a)) != 0;
	assert_true(differ);
	/* another election: an independent order for the same visitor */
	assert_int_equal(order_permutation(c, 20, 42, "pres-2027"), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	assert_int_equal(order_permutation(c, 0, 1, "x"), 0);
	assert_int_equal(order_permutation(c, 1, 1, "x"), 0);
	assert_int_equal(c[0], 0);
}

static void seeds_parse_and_print(void **state)
{
	char hex[ORDER_SEED_HEX + 1];
	uint64_t s = 0;

	(void)state;
	assert_int_equal(order_seed_parse("00ff00ff00ff00fF", &s), 0);
	assert_true(s == 0x00ff00ff00ff00ffULL);
	order_seed_format(s, hex);
	assert_string_equal(hex, "00ff00ff00ff00ff");
	assert_int_equal(order_seed_parse("00ff00ff00ff00f", &s), -1);
	assert_int_equal(order_seed_parse("00ff00ff00ff00ff0", &s), -1);
	assert_int_equal(order_seed_parse("00ff00ff00ff00fg", &s), -1);
	assert_int_equal(order_seed_parse("", &s), -1);
}

/* ---------------------------------------------------- with a database */

struct fixture {
	char path[64];
	struct agora_db *db;
};

static const char fixture_sql[] =
	"INSERT INTO election(id, slug, title) VALUES (1, 'e', 'E');"
	"INSERT INTO candidate(id, election_id, slug, given_name, family_name,"
	" party, sort_key) VALUES"
	" (1, 1, 'a', 'A', 'Alpha', '', 'alpha'),"
	" (2, 1, 'b', 'B', 'Bravo', '', 'bravo'),"
	" (3, 1, 'c', 'C', 'Charlie', '', 'charlie'),"
	" (4, 1, 'd', 'D', 'Delta', '', 'delta'),"
	" (5, 1, 'f', 'F', 'Foxtrot', '', 'foxtrot');";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct agora_error err = {0};
	int fd;

	if (!f)
		return -1;
	strcpy(f->path, "/tmp/agora-order-XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	unlink(f->path);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE, &err) ||
	    compare_db_prepare(f->db, &err) ||
	    db_exec(f->db, fixture_sql, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char aux[128];

	db_close(f->db);
	unlink(f->path);
	snprintf(aux, sizeof(aux), "%s-wal", f->path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", f->path);
	unlink(aux);
	free(f);
	return 0;
}

static int64_t generation(struct fixture *f)
{
	sqlite3_stmt *st;
	int64_t g = -1;

	assert_int_equal(sqlite3_prepare_v2(db_handle(f->db),
					    "SELECT value FROM meta WHERE key ="
					    " 'search_generation'",
					    -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		g = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return g;
}

static const char *order_of(struct fixture *f, char *buf)
{
	struct election_info e;
	struct agora_error err = {0};

	assert_int_equal(election_get(f->db, "e", &e, &err), 0);
	strcpy(buf, e.candidate_order);
	election_info_fini(&e);
	return buf;
}

static void organiser_sets_the_rule(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	char buf[32];
	int64_t g0 = generation(f);

	assert_string_equal(order_of(f, buf), "alphabetical");
	assert_int_equal(
		election_set_candidate_order(f->db, "e", "shuffled", &err), 0);
	assert_string_equal(order_of(f, buf), "shuffled");
	assert_true(generation(f) > g0);
	g0 = generation(f);
	assert_int_equal(
		election_set_candidate_order(f->db, "e", "random", &err),
		AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "'random'"));
	assert_string_equal(order_of(f, buf), "shuffled");
	assert_int_equal(generation(f), g0);
	assert_int_equal(election_set_candidate_order(f->db, "nope",
						      "alphabetical", &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(generation(f), g0);
	assert_int_equal(
		election_set_candidate_order(f->db, "e", "alphabetical", &err),
		0);
	assert_string_equal(order_of(f, buf), "alphabetical");
}

/* The list is shuffled by the rule; a grid keeps the list's order */
static void lists_and_grids_agree(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	struct candidate_list l, same;
	struct theme_grid g;
	const char *pick[] = {"f", "a", "c"};
	size_t i, k, moved = 0, pos[3];
	uint64_t seed;

	assert_int_equal(candidate_list(f->db, "e", &l, &err), 0);
	assert_int_equal(candidate_list_order(&l, "e", "alphabetical", 9, &err),
			 0);
	assert_string_equal(l.v[0].slug, "a");
	assert_string_equal(l.v[4].slug, "f");
	candidate_list_fini(&l);
	for (seed = 1; seed <= 50; seed++) {
		assert_int_equal(candidate_list(f->db, "e", &l, &err), 0);
		assert_int_equal(candidate_list(f->db, "e", &same, &err), 0);
		assert_int_equal(
			candidate_list_order(&l, "e", "shuffled", seed, &err),
			0);
		assert_int_equal(candidate_list_order(&same, "e", "shuffled",
						      seed, &err),
				 0);
		assert_int_equal(l.n, 5);
		for (i = 0; i < l.n; i++)
			assert_string_equal(l.v[i].slug, same.v[i].slug);
		moved += strcmp(l.v[0].slug, "a") != 0;
		assert_int_equal(compare_theme_grid(f->db, "e", "housing", pick,
						    3, &g, &err),
				 0);
		theme_grid_order(&g, &l);
		assert_int_equal(g.ncol, 3);
		for (k = 0; k < 3; k++)
			for (pos[k] = 0; pos[k] < l.n; pos[k]++)
				if (!strcmp(l.v[pos[k]].slug,
					    g.col[k].cand.slug))
					break;
		assert_true(pos[0] < pos[1] && pos[1] < pos[2] && pos[2] < 5);
		theme_grid_fini(&g);
		candidate_list_fini(&l);
		candidate_list_fini(&same);
	}
	assert_true(moved > 20); /* 'a' first about 10 times in 50 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_place_is_fair),
		cmocka_unit_test(every_permutation_equally_likely),
		cmocka_unit_test(same_seed_same_order),
		cmocka_unit_test(seeds_parse_and_print),
		cmocka_unit_test_setup_teardown(organiser_sets_the_rule, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lists_and_grids_agree, setup,
						teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
