#!/bin/sh
# mj_test.sh AGORA - `agora mj` as a user meets it: the README's worked
# example, a published profile, missing judgments, the limits of counts,
# standard input, and bad files refused with exit 2 and file:line.
set -u
AGORA=$1
T=$(mktemp -d /tmp/agora-mj-XXXXXX)
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/lib.sh"

expect 0 "agora --help lists mj" "$AGORA" --help
has "$T/out" "  mj " "the command table has mj"
expect 0 "agora mj --help" "$AGORA" mj --help
has "$T/out" "usage: agora mj" "mj --help shows its usage"
expect 2 "no FILE is bad usage" "$AGORA" mj
expect 2 "two files are bad usage" "$AGORA" mj a b
expect 2 "an unknown --missing" "$AGORA" mj --missing zero f
expect 2 "--default-grade without --missing static" "$AGORA" mj \
	--default-grade 0 f
for n in 0 -1 abc 9223372036854775808; do
	expect 2 "--judges $n is refused" "$AGORA" mj --judges "$n" f
done
expect 2 "a missing file" "$AGORA" mj "$T/nothing.csv"
has "$T/err" "cannot open" "and says so"

# The README's worked example (section "Le jugement majoritaire")
cat >"$T/readme.csv" <<'CSV'
candidat,À rejeter,Insuffisant,Passable,Assez bien,Bien,Très bien
Aline,1,1,1,2,3,2
Bruno,0,1,1,5,2,1
Chloé,0,1,3,4,2,0
Denis,3,2,2,1,1,1
CSV
expect 0 "the README example" "$AGORA" mj --json "$T/readme.csv"
json "[x['candidate'] for x in r] == ['Aline', 'Bruno', 'Chloé', 'Denis']" \
	"ranked Aline, Bruno, Chloé, Denis"
json "[x['rank'] for x in r] == [1, 2, 3, 4]" "ranks 1 to 4"
json "[x['mention'] for x in r] == ['Assez bien+', 'Assez bien+', 'Assez bien\u2212', 'Insuffisant+']" \
	"mentions AB+, AB+, AB−, Insuffisant+"
json "[(x['majority_grade'], x['above'], x['below']) for x in r] == [(3, 5, 3), (3, 3, 2), (3, 2, 4), (1, 5, 3)]" \
	"majority grades and the groups above and below"
json "[t['decided_by'] for t in j['tie_breaks']] == ['gauge', 'gauge'] and j['tie_breaks'][0]['side'] == 'above' and j['tie_breaks'][1]['side'] == 'below'" \
	"both tie-breaks by the gauge: Aline's group above, Chloé's below"
json "abs(r[0]['secondary']['usual'] - (3 + 2 / 4)) < 1e-9 and abs(r[0]['secondary']['typical'] - 3.2) < 1e-9 and abs(r[0]['secondary']['central'] - (3 + 2 / 16)) < 1e-9 and abs(r[0]['secondary']['at_or_above'] - 0.7) < 1e-9" \
	"Aline's secondary judgments: usual 3.5, typical 3.2, central 3.125"
expect 0 "the README example as text" "$AGORA" mj "$T/readme.csv"
has "$T/out" "^   1  Aline  *Assez bien+  *1  *1  *1  *2  *3  *2$" "a table row"
has "$T/out" "Aline before Bruno (both Assez bien): Aline's share above Assez bien, 50.00 %, is the largest" \
	"the first tie-break explained"
has "$T/out" "Bruno before Chloé (both Assez bien): Chloé's share below Assez bien, 40.00 %, is the largest" \
	"the second tie-break explained"
has "$T/out" "For information only" "the secondary judgments are marked so"

# Balinski & Laraki's 2012 presidential experiment (shares per 10,000)
cat >"$T/2012.csv" <<'CSV'
candidate,To reject,Poor,Fair,Good,Very good,Excellent,Outstanding
Hollande,1424,1425,1479,1167,1642,1615,1248
Bayrou,869,1194,2008,2524,2171,977,258
Sarkozy,3175,787,1113,1099,1628,1235,963
Mélenchon,2537,1506,1710,1465,1290,950,543
Dupont-Aignan,3392,2551,2022,1126,597,258,54
Joly,3853,2469,1465,1180,651,299,81
Poutou,4573,2809,1248,773,448,136,14
Le Pen,4763,624,1398,936,950,733,597
Arthaud,4993,2524,1316,651,380,136,0
Cheminade,5197,2687,1167,583,244,81,41
CSV
expect 0 "2012: unequal rounded totals, normalized" "$AGORA" mj --json \
	--missing normalize "$T/2012.csv"
json "[x['candidate'] for x in r] == ['Hollande', 'Bayrou', 'Sarkozy', 'Mélenchon', 'Dupont-Aignan', 'Joly', 'Poutou', 'Le Pen', 'Arthaud', 'Cheminade']" \
	"2012: the published order"
json "[x['mention'] for x in r][:3] == ['Good+', 'Good\u2212', 'Fair+'] and r[9]['mention'] == 'To reject'" \
	"2012: Good+, Good−, Fair+ ... To reject without sign"
expect 2 "2012 with --missing error: unequal totals refused" "$AGORA" mj \
	"$T/2012.csv"
has "$T/err" "2012.csv:2: candidate 'Hollande': 10000 judgments where another has 10001" \
	"and the message names the file, line and candidate"

# The capital example of primary/mj.c and test_mj.c: N and K both have
# 42 % below their majority grade; the iteration separates them
printf 'candidate,0,1,2,3,4\nM,58,0,0,0,42\nN,0,42,32,0,26\nC,0,42,0,43,15\nK,42,0,26,15,17\n' \
	>"$T/capital.csv"
expect 0 "the capital example" "$AGORA" mj --grades \
	"Mauvais,Passable,Assez bien,Bien,Excellent" "$T/capital.csv"
has "$T/out" "N before K (both Assez bien): the majority gauge does not separate them" \
	"the gauge's tie is said"
has "$T/out" "first differ 8.00 % of the voters below the middle, where N has Passable and K has Mauvais" \
	"and where the iteration decides"
expect 0 "the capital example as JSON" "$AGORA" mj --json "$T/capital.csv"
json "[x['candidate'] for x in r] == ['C', 'N', 'K', 'M'] and j['tie_breaks'][0]['decided_by'] == 'iteration'" \
	"C, N, K, M, N and K by the iteration"

# Identical merit profiles share a rank: 1, 1, 3
printf 'candidate,a,b,c\nX,1,1,2\nY,2,2,4\nZ,1,2,1\n' >"$T/same.csv"
expect 0 "identical profiles" "$AGORA" mj --json --missing normalize \
	"$T/same.csv"
json "[(x['candidate'], x['rank']) for x in r] == [('X', 1), ('Y', 1), ('Z', 3)]" \
	"identical profiles share rank 1, the next is 3"
json "j['tie_breaks'][0]['decided_by'] == 'identical'" \
	"and the tie is said to be identical profiles"

# Lots: A {1, 3, 4, 2} of 10 and B {1, 1, 3, 1} of 6, as in primary/mj.c
printf 'candidate,0,1,2,3\nA,1,3,4,2\nB,1,1,3,1\n' >"$T/lots.csv"
expect 0 "lots on proportions" "$AGORA" mj --json --missing normalize \
	"$T/lots.csv"
json "[x['candidate'] for x in r] == ['B', 'A']" "B first on proportions"
expect 0 "--grades names numbered grades" "$AGORA" mj --json \
	--missing normalize --grades "Non,Plutôt non,Plutôt oui,Oui" \
	"$T/lots.csv"
json "j['grades'] == ['Non', 'Plutôt non', 'Plutôt oui', 'Oui'] and r[0]['mention'] == 'Plutôt oui\u2212'" \
	"the labels come from --grades"
expect 2 "--grades with the wrong number of grades" "$AGORA" mj \
	--missing normalize --grades "a,b" "$T/lots.csv"
expect 0 "--grades matching the header" "$AGORA" mj --grades \
	"À rejeter,Insuffisant,Passable,Assez bien,Bien,Très bien" \
	"$T/readme.csv"
expect 2 "--grades in the wrong order" "$AGORA" mj --grades \
	"Très bien,Bien,Assez bien,Passable,Insuffisant,À rejeter" \
	"$T/readme.csv"
has "$T/err" "readme.csv:1: grade 1 is 'À rejeter', --grades says 'Très bien'" \
	"and says which grade differs"

# Missing judgments: A has 10, B 7, C 4
printf 'candidate,Insuffisant,Passable,Bien\nA,2,3,5\nB,1,2,4\nC,0,1,3\n' \
	>"$T/miss.csv"
expect 2 "unequal totals refused by default" "$AGORA" mj "$T/miss.csv"
has "$T/err" "miss.csv:3: candidate 'B': 7 judgments where another has 10" \
	"with file, line, candidate and totals"
expect 0 "--missing static" "$AGORA" mj --json --missing static "$T/miss.csv"
json "[x['counts'] for x in sorted(r, key=lambda x: x['candidate'])] == [[2, 3, 5], [4, 2, 4], [6, 1, 3]]" \
	"static fills with the worst grade up to the largest total"
json "[x['filled'] for x in sorted(r, key=lambda x: x['candidate'])] == [0, 3, 6]" \
	"and says how many it filled"
expect 0 "--missing static --default-grade Passable --judges 12" "$AGORA" mj \
	--json --missing static --default-grade Passable --judges 12 \
	"$T/miss.csv"
json "[x['counts'] for x in sorted(r, key=lambda x: x['candidate'])] == [[2, 5, 5], [1, 7, 4], [0, 9, 3]] and j['judges'] == 12" \
	"static fills with the given grade up to --judges"
expect 2 "--default-grade out of range" "$AGORA" mj --missing static \
	--default-grade 3 "$T/miss.csv"
expect 2 "--judges below a total" "$AGORA" mj --missing static --judges 9 \
	"$T/miss.csv"
has "$T/err" "miss.csv:2: candidate 'A': 10 judgments, more than the 9" \
	"and names the candidate"
expect 0 "--missing median" "$AGORA" mj --json --missing median "$T/miss.csv"
json "[x['counts'] for x in sorted(r, key=lambda x: x['candidate'])] == [[2, 3, 5], [1, 2, 7], [0, 1, 9]]" \
	"median fills with each candidate's own majority grade"
json "[x['majority_grade'] for x in sorted(r, key=lambda x: x['candidate'])] == [1, 2, 2]" \
	"which stays their majority grade (A {2, 3, 5}: Passable)"
printf 'candidate,a,b\nA,1,1\nB,0,0\n' >"$T/none.csv"
expect 2 "--missing median without any judgment" "$AGORA" mj --missing \
	median "$T/none.csv"
has "$T/err" "none.csv:3: candidate 'B': no judgment" "says there is no median"
expect 0 "--missing normalize with a candidate without votes" "$AGORA" mj \
	--json --missing normalize "$T/none.csv"
json "r[1]['candidate'] == 'B' and r[1]['majority_grade'] is None and r[1]['rank'] == 2" \
	"ranks it last, without a grade"

# Counts up to 2^63-1, exactly
M=9223372036854775807
printf 'candidate,a,b\nX,%s,0\nY,0,%s\n' $M $M >"$T/max.csv"
expect 0 "counts of 2^63-1" "$AGORA" mj --json "$T/max.csv"
json "r[0]['candidate'] == 'Y' and r[0]['counts'] == [0, $M] and r[1]['below'] == 0 and r[0]['total'] == $M" \
	"exact in JSON"
printf 'candidate,a,b\nX,%s,0\nY,%s,1\n' $((M - 1)) $((M - 1)) >"$T/near.csv"
expect 2 "near 2^63-1, unequal by one" "$AGORA" mj "$T/near.csv"
expect 0 "near 2^63-1, normalized" "$AGORA" mj --json --missing normalize \
	"$T/near.csv"
json "r[0]['candidate'] == 'Y' and r[0]['rank'] == 1 and r[1]['rank'] == 2" \
	"one vote in 2^63 still decides"
printf 'candidate,a,b\nX,%s,1\n' $M >"$T/sum.csv"
expect 2 "a total above 2^63-1" "$AGORA" mj "$T/sum.csv"
has "$T/err" "sum.csv:2: candidate 'X': the total of the counts is above 2^63-1" \
	"is refused with a reason"

# Standard input
expect 0 "FILE - reads the standard input" sh -c \
	"'$AGORA' mj --json - <'$T/readme.csv'"
json "r[0]['candidate'] == 'Aline'" "the same result from stdin"
printf 'candidate,a,b\nX,1,z\n' >"$T/bad.csv"
expect 2 "bad input on stdin" sh -c "'$AGORA' mj - <'$T/bad.csv'"
has "$T/err" "stdin:2: count 'z' is not a whole number" "is named stdin:LINE"

# Bad files: exit 2, file:line
bad() { # bad NAME CONTENT(printf) MESSAGE
	printf "$2" >"$T/$1.csv"
	expect 2 "bad input: $1" "$AGORA" mj --missing normalize "$T/$1.csv"
	has "$T/err" "$1.csv:$3" "bad input: $1 says where and why"
}
bad nonnum 'candidate,a,b\nX,1,2\nY,1,deux\n' "3: count 'deux' is not a whole number"
bad negative 'candidate,a,b\nX,1,-2\n' "2: negative count '-2'"
bad over 'candidate,a,b\nX,1,9223372036854775808\n' "2: count '9223372036854775808' above 2^63-1"
bad columns 'candidate,a,b,c\nX,1,2,3\nY,1,2\n' "3: candidate 'Y' has 2 counts, the header names 3 grades"
bad extra 'candidate,a,b\nX,1,2,3\n' "2: candidate 'X' has 3 counts"
bad duplicate 'candidate,a,b\nX,1,2\nY,1,2\nX,2,1\n' "4: candidate 'X' already on line 2"
bad onegrade 'candidate,a\nX,1\n' "1: 1 grade in the header, 2 to 10 needed"
bad elevengrades 'candidate,a,b,c,d,e,f,g,h,i,j,k\nX,1,1,1,1,1,1,1,1,1,1,1\n' "1: 11 grades in the header"
bad empty '' "1: empty file"
bad noheader 'X,1,2\nY,2,1\n' "1: the header row must start with 'candidate'"
bad utf8 'candidate,a,b\nX,1,2\nY\351,1,2\n' "3: not valid UTF-8"
bad nocandidate 'candidate,a,b\n' "2: no candidate after the header"
head -c 4194305 /dev/zero | tr '\0' '\n' >"$T/huge.csv"
expect 2 "an oversize file" "$AGORA" mj "$T/huge.csv"
has "$T/err" "larger than the limit of 4194304 bytes" "says the limit"

expect 2 "an oversize standard input" sh -c "'$AGORA' mj - <'$T/huge.csv'"
has "$T/err" "stdin: larger than the limit" "names it stdin"

finish
