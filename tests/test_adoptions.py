"""Reading observed adoption and today's customers: shapes told apart by their header, every
problem named by file, line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wom.inputs import (
    DataFileError,
    PersonAdoptions,
    PersonCustomers,
    SegmentAdoptions,
    SegmentCustomers,
    read_adoptions,
    read_customers,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_individual_adoptions_with_extra_columns_and_never():
    a = read_adoptions(DATA / "medical-innovation" / "people.csv")
    assert isinstance(a, PersonAdoptions)
    assert len(a.people) == 125 and a.people[0] == "1001"
    assert (a.adopted == -1).sum() == 16 and a.adopted.max() == 17
    assert a.periods.tolist() == list(range(1, 18)) and a.lines[0] == 2


def test_aggregate_adoptions(tmp_path: Path):
    a = read_adoptions(write(tmp_path, "# weekly\nsegment;period;new_customers\n"
                                       "dentists;0;3\nlawyers;0;0\ndentists;1;5.0\n"))
    assert isinstance(a, SegmentAdoptions)
    assert a.period.tolist() == [0, 0, 1] and a.segment == ("dentists", "lawyers", "dentists")
    assert a.new_customers.tolist() == [3, 0, 5] and a.lines.tolist() == [3, 4, 5]


def test_customers_by_person_or_by_segment(tmp_path: Path):
    c = read_customers(write(tmp_path, "person\n7\n9\n"))
    assert isinstance(c, PersonCustomers) and c.people == ("7", "9")
    assert c.adopted.tolist() == [-1, -1]
    c = read_customers(write(tmp_path, "person,adopted\n7,3\n9,\n"))
    assert isinstance(c, PersonCustomers) and c.adopted.tolist() == [3, -1]
    c = read_customers(write(tmp_path, "segment\tcustomers\ndentists\t40\nvets\t0\n"))
    assert isinstance(c, SegmentCustomers) and c.customers.tolist() == [40, 0]
    assert c.adopted.tolist() == [-1, -1]
    # a CRM's export: a row per customer, other columns ignored, periods where known
    c = read_customers(write(tmp_path, "account,segment,adopted,owner\nx,vets,4,ann\n"
                                       "y,vets,,bob\nz,dentists,2,ann\n"))
    assert isinstance(c, SegmentCustomers) and c.segment == ("vets", "vets", "dentists")
    assert c.customers.tolist() == [1, 1, 1] and c.adopted.tolist() == [4, -1, 2]
    c = read_customers(write(tmp_path, "segment,customers,adopted\nvets,3,4\nvets,2,5\n"))
    assert isinstance(c, SegmentCustomers) and c.customers.tolist() == [3, 2]


@pytest.mark.parametrize(("text", "message"), [
    ("", "f.csv: the file is empty"),
    ("# nothing\n\n", "f.csv: the file is empty"),
    ("a,b\n1,2\n", "f.csv:1: expected a header line naming the columns"),
    ("person,adopted\n", "f.csv:1: the file has a header but no people"),
    ("person\n1\n", "f.csv:1: the header names no column `adopted` (it has: person)"),
    ("person,adopted\n1,2\n2,3.5\n", "f.csv:3: column adopted: '3.5' is not a whole number"),
    ("person,adopted\n1,-2\n", "f.csv:2: column adopted: -2 is below 0"),
    ("person,adopted\n1,x\n", "f.csv:2: column adopted: 'x' is not a whole number"),
    ("person,adopted\n1,2\n2,3\n1,4\n", "f.csv:4: column person: '1' is listed twice (first "
                                        "on line 2)"),
    ("person,adopted\n,2\n", "f.csv:2: column person: no person id"),
    ("period,segment,new_customers\n1,a,-3\n", "f.csv:2: column new_customers: -3 is below 0"),
    ("period,segment,new_customers\n1,a,3\n1,a,4\n", "f.csv:3: period 1, segment 'a' is "
                                                     "listed twice (first on line 2)"),
    ("period,segment,new_customers\n1.5,a,3\n", "f.csv:2: column period: '1.5' is not a "
                                                "whole number"),
    ("period,segment\n1,a\n", "f.csv:1: the header names no column `new_customers`"),
    # counts with the periods' column named otherwise: the column named is `period` (it was
    # `adopted`, as for a customer list)
    ("week,segment,new_customers\n1,a,2\n", "f.csv:1: the header names no column `period` "
                                            "(it has: week, segment, new_customers)"),
    ("period,adopted,segment,new_customers\n1,2,a,2\n", "f.csv:1: column adopted: both "
                                                        "`period` and `adopted`"),
    ('person,adopted\n"1,2\n', "f.csv:2: not valid CSV"),
])
def test_bad_adoption_files_name_file_line_and_column(tmp_path: Path, text: str, message: str):
    with pytest.raises(DataFileError) as info:
        read_adoptions(write(tmp_path, text))
    assert message in str(info.value)


def test_binary_missing_and_folder(tmp_path: Path):
    with pytest.raises(DataFileError, match="binary file, not a text file of adoptions"):
        read_adoptions(write(tmp_path, "person,adopted\n1,\x00\n"))
    with pytest.raises(DataFileError, match="file not found"):
        read_adoptions(tmp_path / "nope.csv")
    with pytest.raises(DataFileError, match="is a folder"):
        read_customers(tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ("segment,customers\na,1\na,2\n", "f.csv:3: column segment: segment 'a' is listed twice"),
    ("segment,customers,adopted\na,1,3\na,2,3\n", "f.csv:3: column segment: segment 'a' and "
                                                 "period 3 is listed twice"),
    ("segment,adopted\na,x\n", "f.csv:2: column adopted:"),
    ("segment,customers\na,-1\n", "f.csv:2: column customers: -1 is below 0"),
    ("person\n", "f.csv:1: the file has a header but no customers"),
    # a purchase week under another name was silently ignored (new-user trial, issue 13)
    ("segment,week\na,3\n", "f.csv:1: column week: the column 'week' would be ignored: the "
                             "period each customer bought in is read from the column "
                             "`adopted`"),
    ("account,segment,date_signed\nx,a,3\n", "column date_signed: the column"),
    # a fit's counts with their periods named otherwise: the column to name is `period`
    ("period,adopted,segment,new_customers\n1,2,a,2\n", "f.csv:1: column adopted: both "
                                                        "`period` and `adopted`"),
    ("week,segment,new_customers\n3,a,2\n", "f.csv:1: column week: the column 'week' would "
                                            "be ignored: the period each customer bought in "
                                            "is read from the column `period`"),
    # short names too (breaker trial: `t` and `wk` were ignored without a word)
    ("t,segment,new_customers\n3,a,2\n", "f.csv:1: column t: the column 't' would be "
                                         "ignored: the period each customer bought in is "
                                         "read from the column `period`"),
    ("person,wk\nx,3\n", "f.csv:1: column wk: the column 'wk' would be ignored"),
    ("segment,step\na,3\n", "f.csv:1: column step: the column 'step' would be ignored"),
    ("segment,t_adopted\na,3\n", "f.csv:1: column t_adopted: the column 't_adopted' would"),
    ("segment,Wk.\na,3\n", "f.csv:1: column wk.: the column 'wk.' would be ignored"),
])
def test_bad_customer_files(tmp_path: Path, text: str, message: str):
    with pytest.raises(DataFileError) as info:
        read_customers(write(tmp_path, text))
    assert message in str(info.value)


def test_lines_survive_comments_and_blank_lines(tmp_path: Path):
    a = read_adoptions(write(tmp_path, "person,adopted\n\n# a note\n5,1\n\n6,\n"))
    assert isinstance(a, PersonAdoptions) and a.lines.tolist() == [4, 6]
    assert np.array_equal(a.adopted, [1, -1])


def test_a_customer_list_is_fitted_as_counts_per_period(tmp_path: Path):
    """The CRM list `wom run --customers` reads (a row per customer, or counts with their
    period) is also data for `wom fit`: new customers per period and segment (new-user
    trial of issue 13, finding 2)."""
    a = read_adoptions(write(tmp_path, "account,segment,adopted\nx,d,3\ny,d,5\nz,v,5\n"
                                       "w,d,3\n"))
    assert isinstance(a, SegmentAdoptions)
    assert list(zip(a.period.tolist(), a.segment, a.new_customers.tolist(),
                    a.lines.tolist(), strict=True)) == [(3, "d", 2, 2), (5, "d", 1, 3),
                                                         (5, "v", 1, 4)]
    b = read_adoptions(write(tmp_path, "segment,customers,adopted\nd,4,1\nv,2,1\nd,1,1\n"))
    assert isinstance(b, SegmentAdoptions) and b.new_customers.tolist() == [5, 2]
    with pytest.raises(DataFileError, match=r"f.csv:3: column adopted: no purchase period"):
        read_adoptions(write(tmp_path, "segment,adopted\nd,1\nd,\n"))
    with pytest.raises(DataFileError, match="no column `adopted`"):
        read_adoptions(write(tmp_path, "segment,customers\nd,1\n"))


@pytest.mark.parametrize(("text", "message"), [
    # numbers too big for 64 bits gave an OverflowError traceback (adversarial probe, issue 13)
    ("person,adopted\n1001,99999999999999999999999\n",
     "f.csv:2: column adopted: 99999999999999999999999 is above 100,000: periods are numbered"),
    ("person,adopted\n1001,9223372036854775807\n", "f.csv:2: column adopted:"),
    # a date written as a number made arrays of 200,000 steps, or a fit without end
    ("person,adopted\n1001,202401\n", "202401 is above 100,000: periods are numbered weeks or "
                                      "months (0, 1, 2, …), not dates"),
    ("segment,customers\ncity-1,99999999999999999999999\n",
     "f.csv:2: column customers: 99999999999999999999999 is above 1,000,000,000"),
    ("person,adopted\n1001,٣\n", "f.csv:2: column adopted: '٣' is not a whole number"),
])
def test_huge_or_foreign_numbers_are_refused_by_line(tmp_path: Path, text: str, message: str):
    path = write(tmp_path, text)
    reader = read_customers if text.startswith("segment,customers") else read_adoptions
    with pytest.raises(DataFileError) as info:
        reader(path)
    assert message in str(info.value)


def test_old_mac_line_endings_are_lines(tmp_path: Path):
    """Excel's 'CSV (Macintosh)' ends lines with a lone carriage return: that gave a
    csv.Error traceback (adversarial probe, issue 13)."""
    path = tmp_path / "cr.csv"
    path.write_bytes(b"person,adopted\r1001,3\r1002,4\r")
    a = read_adoptions(path)
    assert isinstance(a, PersonAdoptions) and a.people == ("1001", "1002")
    assert a.adopted.tolist() == [3, 4] and a.lines.tolist() == [2, 3]


def test_the_digest_is_of_the_bytes_read(tmp_path: Path):
    """The manifest's sha256 was taken by reading the file again after the run: a pipe gave
    the digest of nothing, an edited file that of other bytes."""
    import hashlib

    path = write(tmp_path, "segment,customers\na,3\n")
    c = read_customers(path)
    path.write_text("segment,customers\na,4\n")
    assert c.sha256 == hashlib.sha256(b"segment,customers\na,3\n").hexdigest()


def test_a_known_column_with_spaces_or_hyphens_between_its_words_is_that_column(
        tmp_path: Path):
    """`new customers` was not `new_customers`: wom run --customers then said the period
    column would be ignored and counted each row as one customer (breaker trial)."""
    a = read_adoptions(write(tmp_path, "Period,Segment,New Customers\n1,vets,3\n"))
    assert isinstance(a, SegmentAdoptions) and a.new_customers.tolist() == [3]
    c = read_customers(write(tmp_path, "period,segment,new-customers\n1,vets,3\n2,vets,4\n"))
    assert isinstance(c, SegmentCustomers) and c.customers.tolist() == [3, 4]
    # other columns keep their names as written
    p = read_customers(write(tmp_path, "person,adopted,job title\n1,2,x\n"))
    assert isinstance(p, PersonCustomers)


@pytest.mark.parametrize("name", ["timezone", "yearly_revenue", "steps_done", "tam", "title"])
def test_other_columns_of_a_crm_export_are_kept_not_taken_for_a_period(tmp_path: Path,
                                                                        name: str):
    """A period is recognised by a word of the column's name, not a prefix: "timezone" and
    "yearly_revenue" are a CRM's other columns, ignored as docs/fit.md promises (breaker
    trial: refused as a purchase period)."""
    from wom.inputs.adoptions import read_customers

    path = tmp_path / "c.csv"
    path.write_text(f"segment,{name}\na,3\nb,4\n")
    got = read_customers(path)
    assert got.segment == ("a", "b") and got.adopted.tolist() == [-1, -1]
