from tongpin.core.text import html_to_text, index_tokens, normalise, query_words, sub_words


def test_normalise_folds_traditional_fullwidth_and_case_keeping_length():
    text = "應急廣播ＡＢＣ１２３，"
    result = normalise(text)
    assert result == "应急广播abc123，"
    assert len(result) == len(text)


def test_normalise_keeps_chinese_punctuation_positions():
    text = "暴雨，预警！"
    assert len(normalise(text)) == len(text)


def test_index_tokens_include_long_words_and_their_parts():
    tokens = index_tokens("江西省应急管理厅")
    assert "江西省" in tokens and "江西" in tokens and "应急" in tokens
    assert all(t.strip() for t in tokens)


def test_index_tokens_drop_punctuation_and_spaces():
    assert "，" not in index_tokens("森林防火，人人有责")


def test_query_words_are_unique_and_normalised():
    assert query_words("森林防火 森林防火") == query_words("森林防火")
    assert query_words("應急") == ["应急"]


def test_sub_words_widen_only_unknown_words():
    assert "应急" in sub_words("应急管理厅")
    assert sub_words("高新区") == []  # a dictionary word segments the same everywhere


def test_html_to_text_one_block_per_line():
    assert html_to_text("<p>第一段</p><ul><li>甲</li><li>乙</li></ul><p>末<br>行</p>") == "第一段\n甲\n乙\n末\n行"
