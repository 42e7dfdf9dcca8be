/*
 * schedule.c - the dates an organiser announces in advance for the
 * phases of a primary (issue 5: "phases ... each with dates").
 *
 * A planned date is an announcement, not a timer: moving between phases
 * stays the organiser's audited action (primary_set_phase), so a phase
 * may begin later (or earlier) than announced, and the pages show both
 * the planned date and the date it actually began. Nothing in the
 * server changes a phase by itself: a primary never closes behind the
 * organiser's back, and the dates a voter reads are never a promise the
 * code would keep silently.
 *
 * Only phases not reached yet can be (re)planned, each date in the
 * future and later than the planned date of the phase before it. The
 * change and its entry in the audit log are one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "primary.h"
#include "primary_int.h"

enum schedule_stmt {
	SC_PLANNED,
	SC_BEGAN,
	SC_SET,
	SC_CLEAR,
	SC__MAX
};

/* clang-format off */
static const char *const schedule_sql[SC__MAX] = {
	[SC_PLANNED] = "SELECT phase, at FROM primary_schedule"
		" WHERE primary_id = ?1",
	[SC_BEGAN] = "SELECT phase, min(at) FROM primary_phase"
		" WHERE primary_id = ?1 GROUP BY phase",
	[SC_SET] = "INSERT INTO primary_schedule(primary_id, phase, at)"
		" VALUES (?1, ?2, ?3)"
		" ON CONFLICT (primary_id, phase) DO UPDATE SET at = excluded.at",
	[SC_CLEAR] = "DELETE FROM primary_schedule"
		" WHERE primary_id = ?1 AND phase = ?2",
};
/* clang-format on */

static const char *const phase_names[4] = {"declaration", "support", "vote",
					   "closed"};

int primary_schedule_db_prepare(struct agora_db *db, struct agora_error *err)
{
	return db_prepare_module(db, DB_MOD_SCHEDULE, schedule_sql, SC__MAX,
				 err);
}

static sqlite3_stmt *stmt(struct agora_db *db, enum schedule_stmt id)
{
	return db_stmt(db, DB_MOD_SCHEDULE, id);
}

static int index_of(const char *phase)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(phase, phase_names[i]))
			return i;
	return -1;
}

/* n decimal digits at *p, moved past them; -1 when they are not there */
static long digits(const char **p, int n)
{
	long v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

int primary_date_parse(const char *what, const char *s,
		       char out[PRIMARY_DATE_SIZE], struct agora_error *err)
{
	const char *p = s;
	struct tm tm = {0}, back;
	long y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	int sign = 0;
	time_t t;

	if (strlen(s) > 40)
		goto bad;
	y = digits(&p, 4);
	if (y < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 0 ||
	    *p++ != '-' || (d = digits(&p, 2)) < 0)
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if ((h = digits(&p, 2)) < 0 || *p++ != ':' ||
		    (mi = digits(&p, 2)) < 0)
			goto bad;
		if (*p == ':' && (p++, (sec = digits(&p, 2)) < 0))
			goto bad;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '+' ? 1 : -1;
			if ((oh = digits(&p, 2)) < 0)
				goto bad;
			if (*p == ':')
				p++;
			if ((om = digits(&p, 2)) < 0 || oh > 14 || om > 59)
				goto bad;
		}
	}
	if (*p || y < 2000 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > 31 || h > 23 || mi > 59 || sec > 59)
		goto bad;
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	t = timegm(&tm);
	/* 31 February comes back as 3 March: not a date */
	if (!gmtime_r(&t, &back) || back.tm_mday != (int)d ||
	    back.tm_mon != (int)mo - 1)
		goto bad;
	t -= sign * (oh * 3600 + om * 60);
	if (!gmtime_r(&t, &back) ||
	    !strftime(out, PRIMARY_DATE_SIZE, "%Y-%m-%dT%H:%M:%SZ", &back))
		goto bad;
	return 0;
bad:
	return agora_errorf(err, AGORA_EINVAL,
			    "%s '%.40s' is not a date: ISO 8601, "
			    "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] with Z or "
			    "an offset such as +01:00 (UTC without one)",
			    what, s);
}

int primary_schedule_get(struct agora_db *db, int64_t primary_id,
			 struct primary_schedule *s, struct agora_error *err)
{
	sqlite3_stmt *st;
	int rc, k, i;
	char(*into)[PRIMARY_DATE_SIZE];

	memset(s, 0, sizeof(*s));
	for (k = 0; k < 2; k++) {
		st = stmt(db, k ? SC_BEGAN : SC_PLANNED);
		into = k ? s->began : s->planned;
		sqlite3_bind_int64(st, 1, primary_id);
		while ((rc = db_step(db, st, err)) == 1) {
			const char *at = db_col_text(st, 1);

			i = index_of(db_col_text(st, 0));
			if (i >= 0)
				snprintf(into[i], PRIMARY_DATE_SIZE, "%s", at);
		}
		sqlite3_reset(st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The audit entry's detail: the planned dates after the change */
static void detail_of(const struct primary_schedule *s, char *out, size_t n)
{
	snprintf(out, n, "support=%s vote=%s closed=%s",
		 *s->planned[1] ? s->planned[1] : "-",
		 *s->planned[2] ? s->planned[2] : "-",
		 *s->planned[3] ? s->planned[3] : "-");
}

/* Checks the new plan against the phase reached and the clock */
static int plan_check(const struct primary_info *p,
		      const struct primary_schedule *old,
		      struct primary_schedule *s, const char *const dates[4],
		      struct agora_error *err)
{
	char now[PRIMARY_DATE_SIZE];
	time_t t = time(NULL);
	struct tm tm;
	int i, have = index_of(p->phase), last = 0;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return agora_errorf(err, AGORA_EINVAL, "no clock");
	if (dates[0])
		return agora_errorf(err, AGORA_EINVAL,
				    "the declaration phase begins when the "
				    "primary is created: it has no planned "
				    "date");
	for (i = 1; i < 4; i++) {
		if (!dates[i])
			continue;
		if (i <= have)
			return agora_errorf(
				err, AGORA_EINVAL,
				"phase '%s' already began on %s: only phases "
				"still to come are planned",
				phase_names[i],
				*old->began[i] ? old->began[i] : "?");
		if (!*dates[i]) {
			*s->planned[i] = 0;
			continue;
		}
		{
			int rc = primary_date_parse(phase_names[i], dates[i],
						    s->planned[i], err);

			if (rc)
				return rc;
		}
		/* a form sends back what was planned: not a change */
		if (!strcmp(s->planned[i], old->planned[i]))
			continue;
		if (strcmp(s->planned[i], now) <= 0)
			return agora_errorf(err, AGORA_EINVAL,
					    "the date of phase '%s' (%s) is "
					    "not in the future (now %s)",
					    phase_names[i], s->planned[i],
					    now);
	}
	/* ISO 8601 in UTC, fixed width: the text order is the time order */
	for (i = 1; i < 4; i++) {
		if (!*s->planned[i])
			continue;
		if (last && strcmp(s->planned[last], s->planned[i]) >= 0)
			return agora_errorf(err, AGORA_EINVAL,
					    "phase '%s' is planned for %s, "
					    "not after phase '%s' (%s): the "
					    "phases come in order",
					    phase_names[i], s->planned[i],
					    phase_names[last],
					    s->planned[last]);
		last = i;
	}
	return 0;
}

int primary_schedule_set(struct agora_db *db, const char *slug,
			 const char *const dates[4], int64_t actor,
			 struct primary_schedule *out, struct agora_error *err)
{
	struct primary_schedule old, s;
	struct primary_info p;
	char object[128], detail[128];
	sqlite3_stmt *st;
	int rc, i;

	if ((rc = db_begin_write(db, err)))
		return rc;
	if ((rc = primary_get(db, slug, &p, err)))
		goto rollback;
	if ((rc = primary_schedule_get(db, p.id, &old, err)))
		goto done;
	s = old;
	if ((rc = plan_check(&p, &old, &s, dates, err)))
		goto done;
	for (i = 1; i < 4; i++) {
		if (!dates[i])
			continue;
		st = stmt(db, *s.planned[i] ? SC_SET : SC_CLEAR);
		sqlite3_bind_int64(st, 1, p.id);
		sqlite3_bind_text(st, 2, phase_names[i], -1, SQLITE_STATIC);
		if (*s.planned[i])
			sqlite3_bind_text(st, 3, s.planned[i], -1,
					  SQLITE_STATIC);
		if ((rc = db_step(db, st, err)) < 0)
			goto done;
	}
	snprintf(object, sizeof(object), "primary:%s", p.slug);
	detail_of(&s, detail, sizeof(detail));
	if ((rc = auth_audit(db, actor, "primary.schedule", object, detail,
			     err)) ||
	    (rc = db_commit(db, err)))
		goto done;
	if (out)
		*out = s;
done:
	primary_info_fini(&p);
	if (!rc)
		return 0;
rollback:
	db_rollback(db);
	return rc;
}
