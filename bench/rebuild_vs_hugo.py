"""Full rebuild speed in pages per second: newsdesk's `build_site` against Hugo.

Run from the repository root (needs Debian's Hugo: `apt-get install hugo`):

    uv run python bench/rebuild_vs_hugo.py [--limit N] [--runs N] [--keep]

A fresh data folder (embedded SQLite, as bench/demo_archive.py makes it) gets the
demo archive. The same live stories (headline, standfirst, dateline, byline, section,
published and updated times, source credit, body HTML) and their sections and authors
are exported as Hugo content: Markdown files with JSON front matter, the body kept as
raw HTML (``markup.goldmark.renderer.unsafe``). The script writes Hugo layouts that
make the same pages as ours: story pages with the same head (description, canonical
link, OpenGraph, Twitter card, NewsArticle JSON-LD, the same inline style sheet),
masthead and section navigation, kicker, headline, standfirst, byline, dateline,
times, body and footer; section and author pages paginated at
``NEWSDESK_ARCHIVE_PAGE_SIZE``; the home page (latest stories, the newest of each
section); a 404 page; an RSS feed of the latest ``NEWSDESK_FEED_SIZE`` stories in
full; a sitemap and robots.txt.

Then `newsdesk build_site` writes our site into an empty output folder and `hugo`
(no --minify) writes its site into an empty folder, each timed as a process (wall
clock, and CPU time of all its processes, which other load on the machine sways
less); both use every core (Hugo always; build_site from 400 stories). With
``--runs N`` they take turns N times and the fastest of each counts. The figure is
HTML pages written per second, and the ratio newsdesk / Hugo. newsdesk also writes a
gzip and a Brotli variant beside every text file, which Hugo does not: the same
compression is then timed over Hugo's output, to give a like-for-like figure too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

# bench/ is on sys.path when this file runs as a script.
from benchkit import embedded_env, missing_commands, newsdesk

from newsdesk.publishing.output import (
    COMPRESS_MIN_BYTES,
    ENCODINGS,
    compress,
    is_compressible,
    is_variant,
    variant_path,
)

REPO = Path(__file__).resolve().parent.parent
STYLE_TEMPLATE = REPO / "newsdesk" / "templates" / "reader" / "style.html"
# build_site reports its own time: "Wrote 5606 files to /x/site in 4.0 s."
BUILD_REPORT = re.compile(r"Wrote (\d+) files to .* in ([\d.]+) s\.")
# Hugo reports its own time on its last line: "Total in 1234 ms".
HUGO_REPORT = re.compile(r"Total in (\d+) ms")
COMPRESS_BATCH = 200


# --- export (runs in a child process with Django set up) -----------------------------


def _json_file(path: Path, front_matter: dict[str, object], body: str = "") -> None:
    """Write a Hugo content file: JSON front matter, then the body."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(front_matter, ensure_ascii=False, indent=1) + "\n"
    path.write_text(text + ("\n" + body + "\n" if body else ""), encoding="utf-8")


def export_hugo_content(site: Path) -> None:
    """Write every live story, section and author as Hugo content under ``site``."""
    import django

    django.setup()
    from django.conf import settings
    from wagtail.rich_text import expand_db_html

    from newsdesk.stories.selectors import (
        byline_people,
        public_path,
        section_list_live,
        story_list_live,
    )

    content = site / "content"
    for weight, section in enumerate(section_list_live(), start=1):
        _json_file(
            content / public_path(section).strip("/") / "_index.md",
            {
                "title": section.title,
                "weight": weight,
                "description": section.description,
            },
        )
    people: dict[str, dict[str, object]] = {}
    stories = 0
    for story in story_list_live():
        byline = byline_people(story)
        for person in byline:
            people[person.slug] = {
                "title": person.name,
                "kind": person.kind,
                "bio": person.bio,
            }
        published = story.first_published_at
        updated = story.last_published_at or published
        # A blank line would end goldmark's raw HTML block and turn what follows into
        # Markdown; the rich text has none that matter.
        body = re.sub(r"\n\s*\n", "\n", expand_db_html(story.body))
        _json_file(
            content / (public_path(story).strip("/") + ".md"),
            {
                "title": story.title,
                "date": published.isoformat() if published else None,
                "lastmod": updated.isoformat() if updated else None,
                "standfirst": story.standfirst,
                "dateline": story.dateline,
                "authors": list(dict.fromkeys(person.slug for person in byline)),
                "language": story.language,
                "dir": story.text_direction,
                "source_credit": story.source_credit,
                "source_url": story.source_url,
            },
            body,
        )
        stories += 1
    for slug, front_matter in people.items():
        _json_file(content / "authors" / slug / "_index.md", front_matter)
    (site / "newsdesk.json").write_text(
        json.dumps(
            {
                "stories": stories,
                "site_name": settings.NEWSDESK_SITE_NAME,
                "site_url": settings.NEWSDESK_SITE_URL,
                "language": settings.NEWSDESK_SITE_LANGUAGE,
                "time_zone": settings.TIME_ZONE,
                "page_size": settings.NEWSDESK_ARCHIVE_PAGE_SIZE,
                "feed_size": settings.NEWSDESK_FEED_SIZE,
            }
        ),
        encoding="utf-8",
    )


# --- the Hugo site -------------------------------------------------------------------

CONFIG = """\
baseURL = "{site_url}/"
languageCode = "{language}"
title = "{site_name}"
timeZone = "{time_zone}"
paginate = {page_size}
summaryLength = 40
titleCaseStyle = "none"
pluralizeListTitles = false
enableRobotsTXT = true
# Our pagination has no page 1 alias beside the front, and no list of all authors.
disableAliases = true
disableKinds = ["taxonomy"]
# Hugo warns that "taxonomy" changed meaning in 0.73: the list of terms is meant.
ignoreErrors = ["error-disable-taxonomy"]

[taxonomies]
author = "authors"

# One feed for the site, as ours (Hugo's default adds one to every list page).
[outputs]
home = ["HTML", "RSS"]
section = ["HTML"]
term = ["HTML"]
page = ["HTML"]

[outputFormats.RSS]
baseName = "rss"

[markup.goldmark.renderer]
unsafe = true
"""

DESCRIPTION = """\
{{- $d := "" -}}
{{- if .IsPage -}}
  {{- with .Params.standfirst }}{{ $d = . }}{{ else }}{{ $d = .Summary | plainify | htmlUnescape }}{{ end -}}
{{- else if .IsSection -}}
  {{- $d = .Params.description | default (printf "%s news from %s." .Title site.Title) -}}
{{- else if eq .Kind "term" -}}
  {{- $d = .Params.bio | default (printf "Stories by %s on %s." .Title site.Title) -}}
{{- end -}}
{{- return $d -}}
"""

BYLINE = """\
{{- $n := len . -}}
{{- range $i, $t := . -}}
{{- if $i }}{{ if eq (add $i 1) $n }} and {{ else }}, {{ end }}{{ end -}}
<a href="{{ $t.RelPermalink }}" rel="author">{{ $t.Title }}</a>
{{- end -}}
"""

SECTION_LINK = """\
{{- $s := "" -}}
{{- with .CurrentSection }}{{ if .IsSection }}{{ $s = . }}{{ end }}{{ end -}}
{{- return $s -}}
"""

TEASER_LINE = """\
{{- $p := .page -}}
{{- $section := partial "section.html" $p -}}
{{ with $p.Params.standfirst }}<p>{{ . }}</p>
{{ end }}<p>{{ if and .show_section $section }}<a href="{{ $section.RelPermalink }}">{{ $section.Title }}</a> · {{ end }}{{ with $p.GetTerms "authors" }}{{ partial "byline.html" . }} · {{ end }}<time datetime="{{ $p.Date.Format "2006-01-02T15:04:05-07:00" }}">{{ $p.Date.Format "2 January 2006, 15:04 MST" }}</time></p>
"""

TEASERS = """\
{{- $level := .level -}}{{- $show := .show_section -}}
{{- with .pages }}<ul class="teasers">
{{ range . }}<li class="teaser">
{{ if eq $level 2 }}<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>{{ else }}<h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>{{ end }}
{{ partial "teaser-line.html" (dict "page" . "show_section" $show) }}</li>
{{ end }}</ul>{{ else }}<p>No stories yet.</p>{{ end -}}
"""

BASEOF = """\
{{- $description := partialCached "description.html" . .RelPermalink -}}
{{- $current := "" }}{{ with partial "section.html" . }}{{ $current = .RelPermalink }}{{ end -}}
<!doctype html>
<html lang="{{ .Params.language | default site.LanguageCode }}" dir="{{ .Params.dir | default "ltr" }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{ block "title" . }}{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} — {{ site.Title }}{{ end }}{{ end }}</title>
{{ with $description }}<meta name="description" content="{{ . }}">
{{ end }}{{ if ne .Kind "404" }}<link rel="canonical" href="{{ block "canonical" . }}{{ .Permalink }}{{ end }}">
{{ end }}<link rel="alternate" type="application/rss+xml" title="{{ site.Title }}" href="/rss.xml">
{{ block "meta" . }}{{ end }}{{ partial "style.html" . }}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="masthead">
<p class="site-name"><a href="/" rel="home">{{ site.Title }}</a></p>
<nav aria-label="Sections">
<ul>
{{ range site.Sections.ByWeight }}<li><a href="{{ .RelPermalink }}"{{ if eq .RelPermalink $current }} aria-current="page"{{ end }}>{{ .Title }}</a></li>
{{ end }}</ul>
</nav>
</header>
<main id="main" tabindex="-1">
{{ block "main" . }}{{ end }}
</main>
<footer class="site-footer">
<p>{{ site.Title }} · <a href="/rss.xml">RSS feed</a></p>
<p>This site sets no cookies and loads nothing from anywhere else.</p>
</footer>
</body>
</html>
"""

SINGLE = """\
{{ define "meta" }}{{ $description := partialCached "description.html" . .RelPermalink }}{{ $section := partial "section.html" . -}}
<meta property="og:type" content="article">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:description" content="{{ $description }}">
<meta property="og:url" content="{{ .Permalink }}">
<meta property="og:site_name" content="{{ site.Title }}">
<meta name="twitter:card" content="summary">
<meta name="twitter:title" content="{{ .Title }}">
<meta name="twitter:description" content="{{ $description }}">
<meta property="article:published_time" content="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">
<meta property="article:modified_time" content="{{ .Lastmod.Format "2006-01-02T15:04:05-07:00" }}">
{{ with $section }}<meta property="article:section" content="{{ .Title }}">
{{ end -}}
{{- $authors := slice -}}
{{- range .GetTerms "authors" -}}
{{- $type := cond (eq .Params.kind "organisation") "Organization" "Person" -}}
{{- $authors = $authors | append (dict "@type" $type "name" .Title "url" .Permalink) -}}
{{- end -}}
{{- $ld := dict "@context" "https://schema.org" "@type" "NewsArticle" "headline" .Title "description" $description "author" $authors "publisher" (dict "@type" "Organization" "name" site.Title "url" site.BaseURL) "mainEntityOfPage" (dict "@type" "WebPage" "@id" .Permalink) "url" .Permalink "inLanguage" (.Params.language | default site.LanguageCode) "datePublished" (.Date.Format "2006-01-02T15:04:05-07:00") "dateModified" (.Lastmod.Format "2006-01-02T15:04:05-07:00") -}}
{{- with $section }}{{ $ld = merge $ld (dict "articleSection" .Title) }}{{ end -}}
{{- with .Params.dateline }}{{ $ld = merge $ld (dict "dateline" .) }}{{ end -}}
<script type="application/ld+json">{{ $ld | jsonify | safeJS }}</script>
{{ end }}
{{ define "main" }}{{ $section := partial "section.html" . -}}
<article>
<header>
{{ with $section }}<p class="kicker"><a href="{{ .RelPermalink }}">{{ .Title }}</a></p>
{{ end }}<h1>{{ .Title }}</h1>
{{ with .Params.standfirst }}<p class="standfirst">{{ . }}</p>
{{ end }}{{ with .GetTerms "authors" }}<p class="byline">By {{ partial "byline.html" . }}</p>
{{ end }}<p class="meta">{{ with .Params.dateline }}<span class="dateline">{{ . }}</span> · {{ end }}Published <time datetime="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">{{ .Date.Format "2 January 2006, 15:04 MST" }}</time> · Updated <time datetime="{{ .Lastmod.Format "2006-01-02T15:04:05-07:00" }}">{{ .Lastmod.Format "2 January 2006, 15:04 MST" }}</time></p>
</header>
<div class="body">
{{ .Content }}
</div>
<footer>
{{ with .Params.source_credit }}<p class="credit">{{ with $.Params.source_url }}<a href="{{ . }}" rel="noreferrer">{{ $.Params.source_credit }}</a>{{ else }}{{ . }}{{ end }}</p>
{{ end }}{{ with $section }}<p class="meta">More from <a href="{{ .RelPermalink }}">{{ .Title }}</a></p>
{{ end }}</footer>
</article>
{{ end }}
"""

LIST = """\
{{ define "title" }}{{ .Title }}{{ with .Paginator }}{{ if gt .PageNumber 1 }}, page {{ .PageNumber }}{{ end }}{{ end }} — {{ site.Title }}{{ end }}
{{ define "canonical" }}{{ .Paginator.URL | absURL }}{{ end }}
{{ define "meta" }}{{ with .Paginator.Next }}<link rel="next" href="{{ .URL }}">
{{ end }}{{ with .Paginator.Prev }}<link rel="prev" href="{{ .URL }}">
{{ end }}{{ end }}
{{ define "main" }}{{ $pager := .Paginator -}}
<h1>{{ .Title }}{{ if gt $pager.PageNumber 1 }}: page {{ $pager.PageNumber }} of {{ $pager.TotalPages }}{{ end }}</h1>
{{ if eq $pager.PageNumber 1 }}{{ with .Params.bio }}<p class="standfirst">{{ . }}</p>
{{ end }}{{ with .Params.description }}<p class="standfirst">{{ . }}</p>
{{ end }}{{ end }}{{ if eq .Kind "term" }}<h2>Stories</h2>
{{ partial "teasers.html" (dict "pages" $pager.Pages "level" 3 "show_section" true) }}{{ else }}{{ partial "teasers.html" (dict "pages" $pager.Pages "level" 2 "show_section" false) }}{{ end }}
<nav class="pager" aria-label="Pages">
{{ with $pager.Next }}<a href="{{ .URL }}" rel="next">Older stories (page {{ .PageNumber }})</a>{{ else }}<span></span>{{ end }}
{{ with $pager.Prev }}<a href="{{ .URL }}" rel="prev">Newer stories (page {{ .PageNumber }})</a>{{ end }}
</nav>
{{ if gt $pager.TotalPages 1 }}<nav aria-labelledby="pages">
<h2 id="pages">All pages</h2>
<ul class="pages">
{{ range $pager.Pagers }}<li><a href="{{ .URL }}">Page {{ .PageNumber }}</a></li>
{{ end }}</ul>
</nav>{{ end }}
{{ end }}
"""

HOME = """\
{{ define "main" -}}
<h1 class="visually-hidden">{{ site.Title }}: the latest news</h1>
<section aria-labelledby="latest">
<h2 id="latest">Latest</h2>
{{ partial "teasers.html" (dict "pages" (first 12 site.RegularPages) "level" 3 "show_section" true) }}
</section>
{{ range $i, $s := site.Sections.ByWeight }}{{ with first 4 $s.RegularPages }}
<section class="section-front" aria-labelledby="front-{{ add $i 1 }}">
<h2 id="front-{{ add $i 1 }}"><a href="{{ $s.RelPermalink }}">{{ $s.Title }}</a></h2>
{{ partial "teasers.html" (dict "pages" . "level" 3 "show_section" false) }}
<p><a href="{{ $s.RelPermalink }}">More from {{ $s.Title }}</a></p>
</section>
{{ end }}{{ end }}
{{- end }}
"""

NOT_FOUND = """\
{{ define "title" }}Page not found — {{ site.Title }}{{ end }}
{{ define "main" -}}
<h1>Page not found</h1>
<p>There is no page at this address. It may have been moved or taken down.</p>
<p><a href="/">Go to the front page</a> to find the latest stories.</p>
{{- end }}
"""

RSS = """\
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{{ site.Title }}</title>
<link>{{ site.BaseURL }}</link>
<description>The latest stories from {{ site.Title }}.</description>
<atom:link href="{{ .Permalink }}" rel="self"></atom:link>
<language>{{ site.LanguageCode }}</language>
{{ $pages := first FEED_SIZE site.RegularPages -}}
{{ with index $pages 0 }}<lastBuildDate>{{ .Lastmod.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</lastBuildDate>
{{ end }}{{ range $pages -}}
{{- $section := partial "section.html" . -}}
<item>
<title>{{ .Title }}</title>
<link>{{ .Permalink }}</link>
<description>{{ partialCached "description.html" . .RelPermalink }}</description>
{{ range .GetTerms "authors" }}<dc:creator>{{ .Title }}</dc:creator>
{{ end }}<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<guid isPermaLink="true">{{ .Permalink }}</guid>
{{ with $section }}<category>{{ .Title }}</category>
{{ end }}<content:encoded>{{ .Content | html }}</content:encoded>
</item>
{{ end -}}
</channel>
</rss>
"""


def write_hugo_site(site: Path, settings: dict[str, object]) -> None:
    """Write the Hugo configuration and layouts beside the exported content."""
    (site / "config.toml").write_text(CONFIG.format(**settings), encoding="utf-8")
    files = {
        "_default/baseof.html": BASEOF,
        "_default/single.html": SINGLE,
        "_default/list.html": LIST,
        "_default/rss.xml": RSS.replace("FEED_SIZE", str(settings["feed_size"])),
        "index.html": HOME,
        "404.html": NOT_FOUND,
        "partials/description.html": DESCRIPTION,
        "partials/section.html": SECTION_LINK,
        "partials/byline.html": BYLINE,
        "partials/teasers.html": TEASERS,
        "partials/teaser-line.html": TEASER_LINE,
        # The very style sheet our pages inline.
        "partials/style.html": STYLE_TEMPLATE.read_text(encoding="utf-8"),
    }
    for name, text in files.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# --- counting and compressing --------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """What a build left in its output folder."""

    pages: int  # HTML files, without redirect stubs
    other: int  # feeds, sitemaps, robots.txt
    variants: int  # precompressed .gz and .br files
    megabytes: float  # the HTML and other files, without the variants
    redirects: int  # Hugo's "page/1/" stubs sending readers to the list's front


def is_redirect_stub(path: Path) -> bool:
    """Say whether a file is a Hugo alias page: a redirect, not a page of the site."""
    # Hugo writes these for page 1 of every paginated list, disableAliases or not.
    return path.parent.name == "1" and path.parent.parent.name == "page"


def output_files(folder: Path) -> Iterator[Path]:
    for parent, _, names in os.walk(folder):
        for name in names:
            if not name.startswith("."):
                yield Path(parent) / name


def count_output(folder: Path) -> Output:
    pages = other = variants = redirects = size = 0
    for path in output_files(folder):
        if is_variant(path):
            variants += 1
            continue
        if is_redirect_stub(path):
            redirects += 1
            continue
        size += path.stat().st_size
        if path.suffix == ".html":
            pages += 1
        else:
            other += 1
    return Output(pages, other, variants, size / 1e6, redirects)


def _compress_files(paths: Sequence[Path]) -> int:
    """Write the gzip and Brotli variants of files (in a worker process)."""
    for path in paths:
        content = path.read_bytes()
        for encoding, _ in ENCODINGS:
            variant_path(path, encoding).write_bytes(compress(content, encoding))
    return len(paths)


def precompress(folder: Path, workers: int) -> int:
    """Write variants as newsdesk does (same encoders, levels, minimum size)."""
    paths = [
        path
        for path in output_files(folder)
        if is_compressible(path)
        and not is_redirect_stub(path)
        and path.stat().st_size >= COMPRESS_MIN_BYTES
    ]
    batches = [
        paths[start : start + COMPRESS_BATCH]
        for start in range(0, len(paths), COMPRESS_BATCH)
    ]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(_compress_files, batches))


# --- running -------------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    """One timed build: the whole process, and the time the tool reports itself."""

    seconds: float
    own_seconds: float | None
    cpu_seconds: float  # user and system time of the process and its workers
    output: str


def own_and_children_cpu() -> float:
    """Return the CPU seconds of this process and its finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + children_cpu()


def children_cpu() -> float:
    """Return the CPU seconds of every finished child process of this one so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_newsdesk(env: dict[str, str], site: Path) -> Build:
    """Rebuild our site into an empty output folder; return its timing."""
    # Every file rendered and written, as Hugo writes into an empty folder
    # (load_demo and an earlier run left files that build_site would skip).
    shutil.rmtree(site, ignore_errors=True)
    cpu = children_cpu()
    seconds, output = newsdesk(env, "build_site")
    cpu = children_cpu() - cpu
    report = BUILD_REPORT.search(output)
    return Build(seconds, float(report.group(2)) if report else None, cpu, output)


def build_hugo(hugo: str, site: Path, public: Path, cache: Path) -> Build:
    """Build the Hugo site into an empty ``public``; return its timing."""
    shutil.rmtree(public, ignore_errors=True)
    command = [hugo, "--source", str(site), "--destination", str(public)]
    command += ["--cacheDir", str(cache)]
    cpu, started = children_cpu(), time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds, cpu = time.perf_counter() - started, children_cpu() - cpu
    if result.returncode != 0:
        sys.exit(
            f"`hugo` failed (exit code {result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
    report = HUGO_REPORT.search(result.stdout)
    own = int(report.group(1)) / 1000 if report else None
    return Build(seconds, own, cpu, result.stdout)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def per_second(pages: int, seconds: float | None) -> float:
    return pages / seconds if seconds else 0.0


def line(label: str, seconds: float | None, pages: int, note: str = "") -> str:
    if seconds is None:
        return f"  {label:<34} not reported"
    speed = per_second(pages, seconds)
    return f"  {label:<34} {seconds:7.2f} s {speed:9,.0f} pages/s  {note}".rstrip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--limit", type=int, help="Import only the first N articles (default: all)."
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the data folder and print its path."
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="Build each site this many times, taking turns, and report the "
        "fastest of each (default: 1).",
    )
    # The child process that exports the stories with Django set up.
    parser.add_argument("--export-to", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.export_to:
        export_hugo_content(options.export_to)
        return 0
    if options.runs < 1:
        parser.error("--runs must be 1 or more")

    hugo = shutil.which("hugo")
    if hugo is None:
        print(
            "Cannot run the benchmark: Hugo is not installed. Install Debian's "
            "package with `apt-get install hugo` (as root), then run this again.",
            file=sys.stderr,
        )
        return 2
    hugo_version = subprocess.run(
        [hugo, "version"], capture_output=True, text=True, check=False
    ).stdout.strip()

    folder = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    env = embedded_env(folder)
    cpus = usable_cpus()
    site, hugo_site, public = folder / "site", folder / "hugo", folder / "hugo-public"
    ours: list[Build] = []
    theirs: list[Build] = []
    compressing: list[tuple[float, float]] = []  # wall-clock and CPU seconds
    load_at_start = os.getloadavg()[0]
    try:
        absent = missing_commands(env, ("load_demo", "build_site"))
        if absent:
            print(
                "Cannot run the benchmark: this checkout has no "
                + " or ".join(f"`newsdesk {c}`" for c in absent)
                + " command yet.",
                file=sys.stderr,
            )
            return 2
        print("Loading the demo archive into a fresh data folder ...", file=sys.stderr)
        newsdesk(env, "migrate", "--no-input", "-v0")
        load_args = ["--limit", str(options.limit)] if options.limit else []
        _, load_output = newsdesk(env, "load_demo", *load_args)

        print("Exporting the live stories as Hugo content ...", file=sys.stderr)
        export_started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--export-to", str(hugo_site)],
            env=env,
            check=True,
        )
        export_seconds = time.perf_counter() - export_started
        settings = json.loads((hugo_site / "newsdesk.json").read_text("utf-8"))
        write_hugo_site(hugo_site, settings)

        for run in range(1, options.runs + 1):
            counter = f" (run {run} of {options.runs})" if options.runs > 1 else ""
            print(f"Timing newsdesk build_site{counter} ...", file=sys.stderr)
            ours.append(build_newsdesk(env, site))
            print(f"Timing hugo{counter} ...", file=sys.stderr)
            theirs.append(build_hugo(hugo, hugo_site, public, folder / "hugo-cache"))
            plain = count_output(public)
            print("Timing gzip and Brotli over Hugo's output ...", file=sys.stderr)
            cpu, started = own_and_children_cpu(), time.perf_counter()
            compressed = precompress(public, cpus)
            compressing.append(
                (time.perf_counter() - started, own_and_children_cpu() - cpu)
            )
        ours_output = count_output(site)
        compressed_output = count_output(public)
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)

    def fastest(builds: list[Build]) -> tuple[float, float | None, float]:
        own = [b.own_seconds for b in builds if b.own_seconds is not None]
        return (
            min(b.seconds for b in builds),
            min(own) if own else None,
            min(b.cpu_seconds for b in builds),
        )

    ours_seconds, ours_own, ours_cpu = fastest(ours)
    hugo_seconds, hugo_own, hugo_cpu = fastest(theirs)
    compress_seconds = min(wall for wall, _ in compressing)
    compress_cpu = min(cpu for _, cpu in compressing)
    stories = int(settings["stories"])
    print()
    print(load_output.strip())
    print(ours[-1].output.strip())
    print()
    print(
        f"Machine: {cpus} usable cores ({platform.machine()}), "
        f"load average {load_at_start:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end, Python "
        f"{platform.python_version()}"
    )
    print(
        f"newsdesk {version('newsdesk')} (Django {version('django')}, "
        f"Wagtail {version('wagtail')}); {hugo_version}"
    )
    print(
        f"{stories:,} live stories, exported as Hugo content in "
        f"{export_seconds:.1f} s (not counted); archive page size "
        f"{settings['page_size']}; data folder {folder}"
        + ("" if options.keep else " (removed)")
    )
    runs = (
        f"fastest of {options.runs} runs each" if options.runs > 1 else "one run each"
    )
    print(f"Each site built into an empty folder, {runs}.")
    print()
    workers = (
        "one worker per core" if stories >= 400 else "one process (under 400 stories)"
    )
    print(f"newsdesk build_site, {workers}:")
    print(
        f"  {ours_output.pages:,} HTML pages, {ours_output.other:,} feeds, sitemaps "
        f"and robots.txt ({ours_output.megabytes:.1f} MB), and "
        f"{ours_output.variants:,} .gz/.br variants of them"
    )
    pages = ours_output.pages
    print(
        line("whole command", ours_seconds, pages, "(Python and Django start included)")
    )
    print(line("rebuild itself", ours_own, pages, "(as build_site reports it)"))
    print(line("CPU time, all its processes", ours_cpu, pages, "(per CPU-second)"))
    print(f"hugo, no --minify, all {cpus} cores:")
    print(
        f"  {plain.pages:,} HTML pages, {plain.other:,} feed, sitemap and robots.txt "
        f"({plain.megabytes:.1f} MB), no variants; {plain.redirects} page/1/ "
        "redirect stubs not counted"
    )
    print(line("whole command", hugo_seconds, plain.pages))
    print(line("build itself", hugo_own, plain.pages, "(as hugo reports it)"))
    print(line("CPU time", hugo_cpu, plain.pages, "(per CPU-second)"))
    print(
        line(
            "whole command + gzip and Brotli",
            hugo_seconds + compress_seconds,
            plain.pages,
            f"({compress_seconds:.2f} s for {compressed_output.variants:,} variants "
            f"of {compressed:,} files, as newsdesk writes them)",
        )
    )
    print(
        line(
            "CPU time + gzip and Brotli",
            hugo_cpu + compress_cpu,
            plain.pages,
            "(per CPU-second)",
        )
    )
    print()
    ratios = [
        ("whole commands", ours_seconds, hugo_seconds),
        (
            "whole commands, Hugo's output compressed too",
            ours_seconds,
            hugo_seconds + compress_seconds,
        ),
        ("the builds as each reports it", ours_own, hugo_own),
        ("CPU time (less swayed by other load)", ours_cpu, hugo_cpu),
        ("CPU time, Hugo's output compressed too", ours_cpu, hugo_cpu + compress_cpu),
    ]
    print("Ratio newsdesk / hugo, in pages per second:")
    for label, ours_time, hugo_time in ratios:
        if ours_time and hugo_time:
            ratio = per_second(pages, ours_time) / per_second(plain.pages, hugo_time)
            print(f"  {label:<46} {ratio:5.2f}")
    print(
        "newsdesk also writes a gzip (level 9) and a Brotli (quality 5) variant beside "
        "every text file of 256 bytes or more; Hugo writes none."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
