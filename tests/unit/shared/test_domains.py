"""DRAMATURG_APPS: which seed domains are on, validated with a did-you-mean; which domain declares an actor."""

from __future__ import annotations

import pytest

from shared.domains import DOMAINS, domain_of, parse_apps
from shared.errors import ConfigError
from shared.settings import load_settings


def test_no_app_is_enabled_by_default():
    assert load_settings({}).apps == ()


@pytest.mark.parametrize(
    "value,apps",
    [
        ("game,tasks", ("game", "tasks")),
        (" tasks , game ,tasks", ("game", "tasks")),  # spaces, order and duplicates do not matter
        ("all", tuple(DOMAINS)),
        ("none", ()),
        ("", ()),
    ],
)
def test_apps_are_read_from_a_comma_separated_list(value, apps):
    assert load_settings({"DRAMATURG_APPS": value}).apps == apps


def test_an_unknown_app_names_the_variable_and_the_closest_app():
    with pytest.raises(ConfigError, match=r"DRAMATURG_APPS: .*unknown app 'gmae' \(did you mean 'game'\?\)"):
        load_settings({"DRAMATURG_APPS": "tasks,gmae"})


def test_an_app_name_far_from_any_lists_the_valid_ones():
    with pytest.raises(ValueError, match="apps: challenges, content, example, game, tasks"):
        parse_apps("billing")


def test_an_actor_belongs_to_the_domain_whose_package_declares_it():
    from actors.game.decay import decay_user
    from actors.maintenance.prune_history import prune_history

    assert domain_of(decay_user) == "game"
    assert domain_of(prune_history) is None  # the platform's own


def test_every_domain_has_its_package_tables_and_migrations():
    for domain in DOMAINS.values():
        assert (domain.migrations.parent / "__init__.py").exists()
        assert (domain.migrations.parent / "tables.py").exists()
        assert any(domain.migrations.glob(f"{domain.name}_0001_*.py"))
