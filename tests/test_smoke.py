from newsdesk.stories.models import HomePage


def test_migrations_make_the_home_page_the_site_root(db: None) -> None:
    from wagtail.models import Site

    assert Site.objects.get(is_default_site=True).root_page.specific_class is HomePage
