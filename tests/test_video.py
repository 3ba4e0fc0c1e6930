"""YouTube links, hashtags and chapters (SPEC §3, §5)."""

import pytest

from monthlypost.video import (
    VideoLinkError,
    chapter_problems,
    hashtag_name,
    hashtags_in,
    parse_chapter,
    thumbnail_url,
    video_id,
    youtube_hashtags,
)

ID = "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "link",
    [
        ID,
        f"  {ID}  ",
        f"https://www.youtube.com/watch?v={ID}",
        f"https://youtube.com/watch?v={ID}",
        f"http://www.youtube.com/watch?v={ID}",
        f"www.youtube.com/watch?v={ID}",
        f"youtube.com/watch?v={ID}",
        f"https://www.youtube.com/watch?v={ID}&t=42s",
        f"https://www.youtube.com/watch?feature=share&v={ID}&list=PL123",
        f"https://m.youtube.com/watch?v={ID}",
        f"https://music.youtube.com/watch?v={ID}",
        f"https://youtu.be/{ID}",
        f"https://youtu.be/{ID}?si=AbCdEf123",
        f"https://youtu.be/{ID}?t=10",
        f"youtu.be/{ID}",
        f"https://www.youtube.com/shorts/{ID}",
        f"https://youtube.com/shorts/{ID}?feature=share",
        f"https://www.youtube.com/embed/{ID}",
        f"https://www.youtube.com/embed/{ID}?start=30",
        f"https://www.youtube.com/live/{ID}",
        f"https://www.youtube.com/live/{ID}?si=x",
        f"https://www.youtube-nocookie.com/embed/{ID}",
        f"https://youtube-nocookie.com/embed/{ID}?rel=0",
        f"HTTPS://WWW.YOUTUBE.COM/watch?v={ID}",
    ],
)
def test_every_common_link_form_gives_the_id(link):
    assert video_id(link) == ID


@pytest.mark.parametrize(
    "link, says",
    [
        ("https://vimeo.com/76979871", "points to vimeo.com"),
        (f"https://www.youtube.com.evil.example/watch?v={ID}", "points to www.youtube.com.evil.example"),
        ("https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf", "is a playlist"),
        ("https://www.youtube.com/watch?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf", "is a playlist"),
        ("https://youtu.be/dQw4w9WgXc", "11-character"),
        ("https://youtu.be/dQw4w9WgXcQQ", "11-character"),
        ("dQw4w9WgXc", "not a YouTube video link"),
        ("https://www.youtube.com/watch?v=dQw4w9WgX!Q", "11-character"),
        ("https://www.youtube.com/@LivePainFree", "not a link to a YouTube video"),
        ("https://www.youtube.com/channel/UC1234567890", "not a link to a YouTube video"),
        ("https://www.youtube.com/", "not a link to a YouTube video"),
        ("https://www.youtube.com/watch", "no video id"),
        (f"ftp://www.youtube.com/watch?v={ID}", "not a YouTube video link"),
        ("", "not a YouTube video link"),
        ("not a link at all", "not a YouTube video link"),
    ],
)
def test_anything_else_is_an_error_that_quotes_it(link, says):
    with pytest.raises(VideoLinkError) as caught:
        video_id(link)
    assert f"'{link}'" in str(caught.value)
    assert says in str(caught.value)


def test_thumbnail_is_hqdefault_which_every_video_has():
    assert thumbnail_url(ID) == f"https://i.ytimg.com/vi/{ID}/hqdefault.jpg"


@pytest.mark.parametrize("tag, name", [("HipPain", "HipPain"), ("#HipPain", "HipPain"), ("Hüfte_2", "Hüfte_2")])
def test_hashtags_with_or_without_hash(tag, name):
    assert hashtag_name(tag) == name


@pytest.mark.parametrize("tag", ["hip-pain", "hip pain", "#", "", "hip.pain", "##x"])
def test_hashtags_refuse_other_characters(tag):
    assert hashtag_name(tag) is None


def test_chapters_parse_minutes_and_hours():
    assert parse_chapter("0:00 Intro").seconds == 0
    assert parse_chapter("1:05 Why sitting matters").seconds == 65
    assert parse_chapter("1:05 Why sitting matters").label == "Why sitting matters"
    assert parse_chapter("1:02:03 Late").seconds == 3723
    assert parse_chapter("12:30 Twelve").timestamp == "12:30"


def test_good_chapters_have_no_problems():
    assert list(chapter_problems(["0:00 Intro", "1:05 Why sitting matters", "2:30 The first step"])) == []


@pytest.mark.parametrize(
    "lines, says",
    [
        (["0:05 Intro", "1:05 b", "2:30 c"], "must start at 0:00"),
        (["0:00 Intro", "1:05 b"], "at least three"),
        (["0:00 Intro", "2:05 b", "1:30 c"], "does not come after"),
        (["0:00 Intro", "0:05 b", "1:30 c"], "under 10 seconds"),
        (["0:00 Intro", "1:65 b", "2:30 c"], "impossible time"),
        (["Intro 0:00", "1:05 b", "2:30 c"], "is not a chapter"),
        (["0:00", "1:05 b", "2:30 c"], "is not a chapter"),
    ],
)
def test_chapters_youtube_would_ignore(lines, says):
    assert any(says in problem for problem in chapter_problems(lines))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("#HipPain. Then #hippain, #Knee_2 and #Douleur", ["HipPain", "Knee_2", "Douleur"]),  # once, first spelling
        ("#1 tip, a#b, https://x.example/#Part and # alone", []),
        ("line one\n#Start of a line", ["Start"]),
    ],
)
def test_hashtags_in_text_as_youtube_reads_them(text, found):
    assert hashtags_in(text) == found


def test_the_titles_hashtags_go_above_it_before_the_descriptions():
    assert youtube_hashtags("Hips #A", "#B #C #D #E") == (["A", "B", "C", "D", "E"], ["A"])
    assert youtube_hashtags("Hips", "#B #C #D #E") == (["B", "C", "D", "E"], ["B", "C", "D"])
