"""Reading input files: delimiters, byte-order marks, broken lines, JSON, decimal commas."""
from __future__ import annotations

import json

import pytest

import diagnose
import diagnose.cli
from diagnose.errors import InputError
from diagnose.io import read_table


def test_semicolon_delimited_csv_is_read(tmp_path, toy_eval):
    path = tmp_path / "eval.csv"
    toy_eval.write_csv(path, separator=";")
    frame = read_table(path, "eval")
    assert frame.columns == toy_eval.columns and frame.height == toy_eval.height


def test_csv_with_byte_order_mark_keeps_column_names(tmp_path, toy_eval):
    path = tmp_path / "eval.csv"
    toy_eval.write_csv(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_table(path, "eval").columns[0] == "id"


def test_ragged_csv_names_the_line(tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text("id,text\n1,hello\n2,a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"eval.csv: .*line 3 has 3 fields, the header has 2"):
        read_table(path, "eval")


def test_broken_jsonl_line_is_named(tmp_path):
    lines = [json.dumps({"id": i, "text": f"row {i}"}) for i in range(5)]
    lines[3] = lines[3][:-4]
    path = tmp_path / "eval.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_table(path, "eval")
    message = str(info.value)
    assert "line 4 is not valid JSON" in message and "header row" not in message


def test_json_array_file_is_read(tmp_path):
    path = tmp_path / "eval.json"
    path.write_text(json.dumps([{"id": 1, "text": "a"}, {"id": 2, "text": "b"}]), encoding="utf-8")
    assert read_table(path, "eval").height == 2


def test_decimal_comma_probabilities_get_a_hint(tmp_path, toy_train):
    path = tmp_path / "eval.csv"
    path.write_text("id;text;label;prediction;prob_card_lost;prob_exchange;prob_refund;prob_top_up\n"
                    "e1;i lost my card;card_lost;card_lost;0,7;0,1;0,1;0,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="Use a dot as the decimal separator") as info:
        diagnose.load_inputs(path, toy_train)
    assert "\n" not in str(info.value)
