"""The one table from XTREME's 2-letter language codes to ISO 639-3, with display metadata.

XTREME names languages by ISO 639-1, which for several of them denotes a *macrolanguage*; URIEL
files data under both the macrolanguage and its members, and the two disagree (lang2vec's
``syntax_knn`` vectors of ``ara`` and ``arb`` are further apart than English and German's). We map
each code to the individual language the benchmark's text is written in, because that is what was
measured, and because URIEL+ only knows individual languages (its ISO→Glottocode map has no
macrolanguage codes). The decisions, once:

====  ===========  =====================================================================
code  ISO 639-3    why (macrolanguage in brackets)
====  ===========  =====================================================================
ar    arb          Modern Standard Arabic is the language of XNLI/MLQA/XQuAD (ara)
az    azj          North Azerbaijani, the Azerbaijani of Wikipedia and Tatoeba (aze)
et    ekk          Standard Estonian (est); see ``lang2vec_code`` below
fa    pes          Western (Iranian) Persian (fas)
ms    zsm          Standard Malay (msa)
qu    quy          Ayacucho Quechua, the Southern Quechua of WikiANN and XCOPA (que)
sw    swh          (Coastal) Swahili (swa)
zh    cmn          Mandarin Chinese (zho)
====  ===========  =====================================================================

``corpus_tags`` are the other tags pretraining-corpus tables file a language under (mC4 calls
Tagalog ``fil``; CC-100 splits Chinese into ``zh-Hans``, which XTREME's Chinese is, and ``zh-Hant``);
``xtreme_code`` maps any such tag back to this table, and romanized or other-script variants
(``hi-Latn``, ``zh-Hant``) to nothing, because the benchmarks do not test them.

``lang2vec_code`` differs from ``iso639_3`` in one place: lang2vec's ``fam`` vector of ``ekk`` is
empty (Standard Estonian is not placed in its Glottolog tree), so lang2vec is asked for ``est``,
whose vector places it under Uralic > Finnic. ``family`` and ``script`` are for display only (the
top-level Glottolog family and the main script of the benchmark text).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from pipeline.tasks import target_tasks


@dataclass(frozen=True)
class Language:
    """One language as XTREME names it, and how the typology databases name it."""

    code: str
    iso639_3: str
    name: str
    family: str
    script: str
    macrolanguage: str | None = None
    lang2vec_override: str | None = None
    corpus_tags: tuple[str, ...] = ()

    @property
    def lang2vec_code(self) -> str:
        """The code lang2vec is queried with (``iso639_3`` unless its data is filed elsewhere)."""
        return self.lang2vec_override or self.iso639_3


_IE = "Indo-European"
_TABLE: tuple[Language, ...] = (
    Language("af", "afr", "Afrikaans", _IE, "Latin"),
    Language("ar", "arb", "Arabic", "Afro-Asiatic", "Arabic", macrolanguage="ara"),
    Language("az", "azj", "Azerbaijani", "Turkic", "Latin", macrolanguage="aze"),
    Language("bg", "bul", "Bulgarian", _IE, "Cyrillic"),
    Language("bn", "ben", "Bengali", _IE, "Bengali"),
    Language("de", "deu", "German", _IE, "Latin"),
    Language("el", "ell", "Greek", _IE, "Greek"),
    Language("en", "eng", "English", _IE, "Latin"),
    Language("es", "spa", "Spanish", _IE, "Latin"),
    Language("et", "ekk", "Estonian", "Uralic", "Latin", macrolanguage="est", lang2vec_override="est"),
    Language("eu", "eus", "Basque", "Basque (isolate)", "Latin"),
    Language("fa", "pes", "Persian", _IE, "Arabic", macrolanguage="fas"),
    Language("fi", "fin", "Finnish", "Uralic", "Latin"),
    Language("fr", "fra", "French", _IE, "Latin"),
    Language("gu", "guj", "Gujarati", _IE, "Gujarati"),
    Language("he", "heb", "Hebrew", "Afro-Asiatic", "Hebrew"),
    Language("hi", "hin", "Hindi", _IE, "Devanagari"),
    Language("ht", "hat", "Haitian Creole", "French-based creole", "Latin"),
    Language("hu", "hun", "Hungarian", "Uralic", "Latin"),
    Language("id", "ind", "Indonesian", "Austronesian", "Latin"),
    Language("it", "ita", "Italian", _IE, "Latin"),
    Language("ja", "jpn", "Japanese", "Japonic", "Japanese (kanji, kana)"),
    Language("jv", "jav", "Javanese", "Austronesian", "Latin"),
    Language("ka", "kat", "Georgian", "Kartvelian", "Georgian"),
    Language("kk", "kaz", "Kazakh", "Turkic", "Cyrillic"),
    Language("ko", "kor", "Korean", "Koreanic", "Hangul"),
    Language("lt", "lit", "Lithuanian", _IE, "Latin"),
    Language("ml", "mal", "Malayalam", "Dravidian", "Malayalam"),
    Language("mr", "mar", "Marathi", _IE, "Devanagari"),
    Language("ms", "zsm", "Malay", "Austronesian", "Latin", macrolanguage="msa"),
    Language("my", "mya", "Burmese", "Sino-Tibetan", "Myanmar"),
    Language("nl", "nld", "Dutch", _IE, "Latin"),
    Language("pa", "pan", "Punjabi", _IE, "Gurmukhi"),
    Language("pl", "pol", "Polish", _IE, "Latin"),
    Language("pt", "por", "Portuguese", _IE, "Latin"),
    Language("qu", "quy", "Quechua", "Quechuan", "Latin", macrolanguage="que"),
    Language("ro", "ron", "Romanian", _IE, "Latin"),
    Language("ru", "rus", "Russian", _IE, "Cyrillic"),
    Language("sw", "swh", "Swahili", "Atlantic-Congo", "Latin", macrolanguage="swa"),
    Language("ta", "tam", "Tamil", "Dravidian", "Tamil"),
    Language("te", "tel", "Telugu", "Dravidian", "Telugu"),
    Language("th", "tha", "Thai", "Tai-Kadai", "Thai"),
    Language("tl", "tgl", "Tagalog", "Austronesian", "Latin", corpus_tags=("fil",)),
    Language("tr", "tur", "Turkish", "Turkic", "Latin"),
    Language("uk", "ukr", "Ukrainian", _IE, "Cyrillic"),
    Language("ur", "urd", "Urdu", _IE, "Arabic"),
    Language("vi", "vie", "Vietnamese", "Austroasiatic", "Latin"),
    Language("wo", "wol", "Wolof", "Atlantic-Congo", "Latin"),
    Language("yo", "yor", "Yoruba", "Atlantic-Congo", "Latin"),
    Language("zh", "cmn", "Chinese", "Sino-Tibetan", "Han", corpus_tags=("zh-Hans",)),
)

#: XTREME code -> Language.
LANGUAGES: dict[str, Language] = {lang.code: lang for lang in _TABLE}


#: Every tag a pretraining-corpus table may use -> XTREME code.
_BY_TAG: dict[str, str] = {code: code for code in LANGUAGES} | {
    tag: lang.code for lang in _TABLE for tag in lang.corpus_tags
}


def xtreme_code(tag: str) -> str | None:
    """The XTREME code of a corpus table's language tag (ISO 639-1/3 or BCP-47); None if no benchmark tests it."""
    return _BY_TAG.get(tag)


def get_language(code: str) -> Language:
    """The language XTREME calls ``code``; a ValueError names near matches and the known codes otherwise."""
    try:
        return LANGUAGES[code]
    except (KeyError, TypeError):
        raise ValueError(_unknown_message(code)) from None


def _unknown_message(code: object) -> str:
    wanted = str(code).strip().casefold()
    by_alias = {lang.iso639_3: lang.code for lang in _TABLE} | {lang.name.casefold(): lang.code for lang in _TABLE}
    by_alias |= {lang.macrolanguage: lang.code for lang in _TABLE if lang.macrolanguage}
    near = [by_alias[wanted]] if wanted in by_alias else difflib.get_close_matches(wanted, LANGUAGES, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in near)}?" if near else ""
    return (
        f"unknown language code {code!r} (typology uses XTREME's 2-letter codes).{hint} "
        f"Known: {', '.join(sorted(LANGUAGES))}"
    )


@cache
def benchmark_languages() -> tuple[str, ...]:
    """Every language of every registry target task, plus English, sorted: what the shipped cache covers."""
    codes = {"en"}
    for task in target_tasks().values():
        codes.update(task.languages)
    return tuple(sorted(codes))
