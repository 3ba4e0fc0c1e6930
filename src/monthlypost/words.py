"""The outputs' fixed words ("In this video", "Watch the video", the footer's lines…) and dates, in the author's
language: shipped for English, Spanish, French, German, Portuguese and Arabic, each word the author's own where
monthlypost.toml's [labels] sets it. Dates are written as the author's locale writes them (Babel, CLDR's data).
"""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import field, fields
from typing import Any

from monthlypost.tables import rule, table

# A label's {name} is the author's name; no other placeholder exists, and no label but these has one.
NAMED = ("get_in_touch", "signed_up", "archive_description")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders(key: str) -> Callable[[str], Iterable[str]]:
    """The rule for a label's placeholders: {name} in the labels that show the author's name, none elsewhere."""
    allowed = {"name"} if key in NAMED else set()

    def check(value: str) -> Iterable[str]:
        for found in _PLACEHOLDER.findall(value):
            if found not in allowed:
                yield f"unknown placeholder {{{found}}}; " + ("use {name}" if allowed else "this label has none")
        if set("{}") & set(_PLACEHOLDER.sub("", value)):
            yield "a '{' or '}' that opens or closes no placeholder"

    return check


def _label(key: str) -> Any:
    return field(default=None, metadata=rule(placeholders(key)))


@table
class Labels:
    """[labels]: the author's own wording for any of the outputs' fixed words."""

    watch_on_youtube: str | None = _label("watch_on_youtube")
    watch_the_video: str | None = _label("watch_the_video")
    in_this_video: str | None = _label("in_this_video")
    chapters: str | None = _label("chapters")
    read_the_full_post: str | None = _label("read_the_full_post")
    watch_and_comment: str | None = _label("watch_and_comment")
    get_in_touch: str | None = _label("get_in_touch")
    phone: str | None = _label("phone")
    email: str | None = _label("email")
    website: str | None = _label("website")
    signed_up: str | None = _label("signed_up")
    unsubscribe: str | None = _label("unsubscribe")
    previous: str | None = _label("previous")
    next: str | None = _label("next")
    all_videos: str | None = _label("all_videos")
    more_videos: str | None = _label("more_videos")
    feed: str | None = _label("feed")
    archive_description: str | None = _label("archive_description")


KEYS = tuple(f.name for f in fields(Labels))

# Each language's words, in the order of Labels' fields.
SHIPPED: dict[str, tuple[str, ...]] = {
    "en": (
        "Watch on YouTube",
        "Watch the video",
        "In this video",
        "Chapters",
        "Read the full post",
        "Watch and comment on YouTube",
        "Get in touch with {name}",
        "Phone",
        "Email",
        "Website",
        "You are receiving this because you signed up for {name}'s newsletter.",
        "Unsubscribe",
        "Previous",
        "Next",
        "All videos",
        "More videos",
        "Feed",
        "A video a month from {name}, with its post.",
    ),
    "es": (
        "Ver en YouTube",
        "Ver el vídeo",
        "En este vídeo",
        "Capítulos",
        "Leer el artículo completo",
        "Míralo y comenta en YouTube",
        "Contacta con {name}",
        "Teléfono",
        "Correo electrónico",
        "Sitio web",
        "Recibes este correo porque te suscribiste al boletín de {name}.",
        "Darse de baja",
        "Anterior",
        "Siguiente",
        "Todos los vídeos",
        "Más vídeos",
        "Feed",
        "Un vídeo al mes de {name}, con su artículo.",
    ),
    "fr": (
        "Regarder sur YouTube",
        "Regarder la vidéo",
        "Dans cette vidéo",
        "Chapitres",
        "Lire l’article complet",
        "Regarder et commenter sur YouTube",
        "Contacter {name}",
        "Téléphone",
        "E-mail",
        "Site web",
        "Vous recevez cet e-mail car vous êtes abonné·e à la lettre d’information de {name}.",
        "Se désabonner",
        "Précédent",
        "Suivant",
        "Toutes les vidéos",
        "Plus de vidéos",
        "Flux",
        "Une vidéo par mois de {name}, avec son article.",
    ),
    "de": (
        "Auf YouTube ansehen",
        "Video ansehen",
        "In diesem Video",
        "Kapitel",
        "Den ganzen Beitrag lesen",
        "Auf YouTube ansehen und kommentieren",
        "Kontakt zu {name}",
        "Telefon",
        "E-Mail",
        "Website",
        "Sie erhalten diese E-Mail, weil Sie den Newsletter von {name} abonniert haben.",
        "Abmelden",
        "Vorheriges",
        "Nächstes",
        "Alle Videos",
        "Weitere Videos",
        "Feed",
        "Jeden Monat ein Video von {name}, mit Beitrag.",
    ),
    "pt": (
        "Assistir no YouTube",
        "Assistir ao vídeo",
        "Neste vídeo",
        "Capítulos",
        "Ler o artigo completo",
        "Assista e comente no YouTube",
        "Fale com {name}",
        "Telefone",
        "E-mail",
        "Site",
        "Você recebe este e-mail porque se inscreveu na newsletter de {name}.",
        "Cancelar inscrição",
        "Anterior",
        "Próximo",
        "Todos os vídeos",
        "Mais vídeos",
        "Feed",
        "Um vídeo por mês de {name}, com o seu artigo.",
    ),
    "ar": (
        "شاهد على يوتيوب",
        "شاهد الفيديو",
        "في هذا الفيديو",
        "الفصول",
        "اقرأ المقال كاملًا",
        "شاهد وعلّق على يوتيوب",
        "تواصل مع {name}",
        "الهاتف",
        "البريد الإلكتروني",
        "الموقع",
        "تصلك هذه الرسالة لأنك اشتركت في النشرة البريدية لـ{name}.",
        "إلغاء الاشتراك",
        "السابق",
        "التالي",
        "كل الفيديوهات",
        "المزيد من الفيديوهات",
        "الخلاصة",
        "فيديو كل شهر من {name}، مع مقاله.",
    ),
}


class Label(str):
    """One fixed word, as a template shows it: ``{{ t.chapters }}``; one with the author's name,
    ``{{ t.signed_up(name=author.name) }}`` (only {name} is replaced: a label is never a format string)."""

    def __call__(self, name: str = "") -> str:
        return self.replace("{name}", name)


def shipped(language: str) -> str | None:
    """The shipped language a language tag reads in: 'pt-BR' → 'pt'; None for one not shipped."""
    base = language.split("-")[0].lower()
    return base if base in SHIPPED else None


def words(language: str, own: Labels | None = None) -> dict[str, Label]:
    """Every fixed word in ``language`` (English where it is not shipped), the author's own where set."""
    base = SHIPPED[shipped(language) or "en"]
    return {
        key: Label(getattr(own, key, None) if own is not None and getattr(own, key) is not None else word)
        for key, word in zip(KEYS, base, strict=True)
    }


def missing(language: str, own: Labels | None) -> list[str]:
    """The labels left in English for a language not shipped (none for a shipped one)."""
    if shipped(language):
        return []
    return [key for key in KEYS if own is None or getattr(own, key) is None]


# Languages written right to left (CLDR's character order): Arabic, Hebrew, Persian, Urdu, Yiddish, Pashto,
# Sindhi, Uyghur, Central Kurdish, Dhivehi.
RIGHT_TO_LEFT = frozenset(["ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug", "ckb", "dv"])


def writing_direction(language: str) -> str:
    """'rtl' for a language written right to left ('ar', 'he-IL', 'fa'), else 'ltr'; a script subtag decides
    where one is given ('pa-Arab' is rtl, 'az-Latn' ltr)."""
    parts = language.lower().split("-")
    script = next((p for p in parts[1:] if len(p) == 4), None)
    if script:
        return "rtl" if script in ("arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg") else "ltr"
    return "rtl" if parts[0] in RIGHT_TO_LEFT else "ltr"


def right_to_left_lines(text: str) -> str:
    """A plain text written right to left, each line starting right to left: a plain-text reader takes a
    line's direction from its first letter (Unicode's bidi algorithm, P2), so a line a wrap began with a
    Latin word or a number ("YouTube…", "+971…", an address) would read left to right, aligned left. Such
    a line starts with a RIGHT-TO-LEFT MARK, invisible."""
    return "\n".join(RLM + line if line and _first_strong(line) != "R" else line for line in text.split("\n"))


RLM = "\u200f"


def _first_strong(line: str) -> str | None:
    import unicodedata

    for c in line:
        kind = unicodedata.bidirectional(c)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return None


_ENGLISH_MONTHS = "January February March April May June July August September October November December".split()  # noqa: SIM905


def long_date(day: datetime.date, language: str) -> str:
    """A date as the author's locale writes it in a sentence: 'April 1, 2024', '1 de abril de 2024',
    '1. April 2024', '1 أبريل 2024' (CLDR's long format, through Babel)."""
    if language in ("en", "en-US"):  # the common case, without loading Babel's data (tested equal to it)
        return f"{_ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}"
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date

    for tag in (language, language.split("-")[0], "en"):
        try:
            return format_date(day, "long", locale=Locale.parse(tag, sep="-"))
        except (ValueError, UnknownLocaleError):
            continue
    raise AssertionError("Babel knows English")
