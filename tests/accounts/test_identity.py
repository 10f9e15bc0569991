import pytest

from accounts.identity import id_number_error, mask_id_number, mask_name, mobile_error, normalise_id_number


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "411002198503150024", "411023199007010045"],
)
def test_known_valid_id_numbers_pass(number):
    assert id_number_error(number) is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "校验位"),  # right shape, wrong check character
        ("11010519491231002", "18位"),
        ("1101051949123100XX", "前17位"),
        ("110105194913310028", "出生日期"),  # month 13
        ("A10105194912310021", "前17位"),
    ],
)
def test_invalid_id_numbers_are_refused_with_a_reason(raw, reason):
    assert reason in id_number_error(raw)


def test_normalising_folds_full_width_spaces_and_lower_case_x():
    assert normalise_id_number(" １１０１０５１９４９１２３１００２ｘ ") == "11010519491231002X"
    assert normalise_id_number("110105 19491231 002x") == "11010519491231002X"


def test_masks_keep_only_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_name("王永浩") == "王*浩"
    assert mask_name("王浩") == "王*"


@pytest.mark.parametrize("mobile", ["13900000001", "19912345678"])
def test_valid_mobiles(mobile):
    assert mobile_error(mobile) is None


@pytest.mark.parametrize("mobile", ["1390000000", "23900000001", "12900000001", "1390000000a"])
def test_invalid_mobiles(mobile):
    assert "11位" in mobile_error(mobile)
