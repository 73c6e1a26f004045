"""How a registration question's answer is named in the form and in stored answers: the one
owner of the ``q_<block id>`` key (form fields, the service's validation, the export)."""

PREFIX = "q_"
#: The longest text answer a registrant may give.
TEXT_ANSWER_MAX = 2000


def question_key(block_id) -> str:
    """The form field (and export column) of the question block ``block_id``."""
    return f"{PREFIX}{block_id}"


def is_question_key(key: str) -> bool:
    return key.startswith(PREFIX)


def block_id_of(key: str) -> str:
    """The question block id a form or export key names: the inverse of ``question_key``."""
    return key.removeprefix(PREFIX)
