/* Strict option numbers, the --retain grammar's typos, and control
 * characters kept off terminals (issue 14, items 4 and 11). */
#include "test.h"

#include "ph_export.h"
#include "ph_rollup.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

TEST(parse_uint_takes_digits_only)
{
    int64_t v = -1;
    CHECK_I(ph_parse_uint("5", 100, &v), 0);
    CHECK_I(v, 5);
    CHECK_I(ph_parse_uint("0", 100, &v), 0);
    CHECK_I(ph_parse_uint("100", 100, &v), 0);
    CHECK_I(ph_parse_uint("101", 100, &v), -1);
    CHECK_I(ph_parse_uint(" 5", 100, &v), -1);
    CHECK_I(ph_parse_uint("+5", 100, &v), -1);
    CHECK_I(ph_parse_uint("-5", 100, &v), -1);
    CHECK_I(ph_parse_uint("0x10", 100, &v), -1);
    CHECK_I(ph_parse_uint("5 ", 100, &v), -1);
    CHECK_I(ph_parse_uint("", 100, &v), -1);
    CHECK_I(ph_parse_uint("9223372036854775807", INT64_MAX, &v), 0);
    CHECK_I(v, INT64_MAX);
    CHECK_I(ph_parse_uint("9223372036854775808", INT64_MAX, &v), -1); /* overflow, not LLONG_MAX */
    CHECK_I(ph_parse_uint("99999999999999999999999", INT64_MAX, &v), -1);
}

TEST(parse_decimal_refuses_what_strtod_takes)
{
    double d = 0;
    const char *end;
    CHECK_I(ph_parse_decimal("0.25", &d, &end), 0);
    CHECK(d == 0.25 && *end == '\0');
    CHECK_I(ph_parse_decimal("5", &d, &end), 0);
    CHECK_I(ph_parse_decimal(".5", &d, &end), 0);
    CHECK_I(ph_parse_decimal("5.", &d, &end), 0);
    CHECK_I(ph_parse_decimal("500M", &d, &end), 0);
    CHECK(d == 500 && strcmp(end, "M") == 0);
    CHECK_I(ph_parse_decimal("0x10", &d, &end), 0); /* "0", then "x10" for the caller to refuse */
    CHECK(*end == 'x');
    CHECK_I(ph_parse_decimal(" 5", &d, &end), -1);
    CHECK_I(ph_parse_decimal("+5", &d, &end), -1);
    CHECK_I(ph_parse_decimal("inf", &d, &end), -1);
    CHECK_I(ph_parse_decimal("nan", &d, &end), -1);
    CHECK_I(ph_parse_decimal(".", &d, &end), -1);
    CHECK_I(ph_parse_decimal("", &d, &end), -1);
    CHECK_I(ph_parse_decimal("1e3", &d, &end), 0);
    CHECK(*end == 'e');
}

TEST(size_parse_is_strict)
{
    int64_t b;
    CHECK_I(ph_size_parse("0x10", &b), -1);
    CHECK_I(ph_size_parse("0x1p20", &b), -1);
    CHECK_I(ph_size_parse(" 5M", &b), -1);
    CHECK_I(ph_size_parse("1e9", &b), -1);
    CHECK_I(ph_size_parse("inf", &b), -1);
    CHECK_I(ph_size_parse("2M", &b), 0);
    CHECK_I(b, 2097152);
}

TEST(retain_refuses_empty_and_repeated_tiers)
{
    ph_retention r;
    char err[256];
    ph_retention_default(&r);
    CHECK_I(ph_retention_parse("raw=1d,raw=2d", &r, err, sizeof err), -1);
    CHECK(strstr(err, "twice") != NULL);
    CHECK_I(ph_retention_parse(",", &r, err, sizeof err), -1);
    CHECK_I(ph_retention_parse("raw=1d,", &r, err, sizeof err), -1);
    CHECK_I(ph_retention_parse(",raw=1d", &r, err, sizeof err), -1);
    CHECK_I(ph_retention_parse("raw=1d,,minute=30d", &r, err, sizeof err), -1);
    CHECK_I(ph_retention_parse("raw=1d,minute=30d", &r, err, sizeof err), 0);
    CHECK_I(r.raw_ns, 86400LL * 1000000000LL);
}

TEST(ctrl_sanitize_replaces_c0_del_c1)
{
    char s[] = "a\033[31mb\x7f" "c\xc2\x9b" "2Jd\xc2\xa0" "e\xe2\x82\xac" "f\n";
    ph_ctrl_sanitize(s);
    CHECK_S(s, "a?[31mb?c?2Jd\xc2\xa0" "e\xe2\x82\xac" "f?"); /* NBSP and the euro sign stay */
    char t[] = "x\x9by"; /* a lone 0x9B is not UTF-8 */
    ph_ctrl_sanitize(t);
    CHECK_S(t, "x?y");
    CHECK_I(ph_ctrl_len("\xc2\x9f"), 2);
    CHECK_I(ph_ctrl_len("\xc2\xa0"), 0);
    CHECK_I(ph_ctrl_len(""), 0);
}

TEST(ctrl_sanitize_replaces_bidi_formatting)
{
    /* RLO (U+202E) would show the rest of a table row backwards; each of
     * the bidirectional formatting characters is one '?'. */
    char s[] = "evil\xe2\x80\xaegpj.exe|\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad|"
               "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9|\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c|"
               "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b";
    ph_ctrl_sanitize(s);
    /* ZWJ, U+202F, U+2065, U+206A and U+061B (Arabic semicolon) stay */
    CHECK_S(s, "evil?gpj.exe|????|????|???|\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b");
    CHECK_I(ph_ctrl_len("\xe2\x80\xae"), 3);
    CHECK_I(ph_ctrl_len("\xd8\x9c"), 2);
    CHECK_I(ph_ctrl_len("\xe2\x80"), 0); /* cut short: not one */
    /* and a Prometheus label the same (ph_export_label) */
    ph_buf b = {0};
    ph_export_label(&b, "a\xe2\x80\xae" "b");
    ph_buf_append(&b, "", 1);
    CHECK_S(b.data, "a?b");
    ph_buf_free(&b);
}

TEST(export_label_keeps_three_escapes_and_replaces_other_controls)
{
    ph_buf b = {0};
    ph_export_label(&b, "a\"b\\c\nd\033e\xc2\x9b" "f\tg");
    ph_buf_append(&b, "", 1);
    CHECK_S(b.data, "a\\\"b\\\\c\\nd?e?f?g");
    ph_buf_free(&b);
}
