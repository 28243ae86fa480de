"""The profile file: one place for every size, checked when read, typed access."""

import pytest
import yaml

from thesis_lib.provenance import PROFILE_FILE, load_profiles, profile_names, profile_section

# The sizes each module or chapter used before the profile file existed, copied from the
# code they replaced: the quick and full books must compute with exactly these numbers.
BEFORE = {
    "quick": {
        "xmcd_phantom": {"detector": 128, "frames_per_acquisition": 1, "tape_speed_m_s": 0.381},
        "paired_corpus": {"tracks": 8, "track_s": 8.0, "clip_s": 2.0},
        "short_training": {"epochs": 8},
        "beamline_files": {"detector": 48, "positions": 8, "frames": 3},
        "forward_model": {"clip_s": 0.5, "transfer_levels": 21},
        "preisach_ablation": {"repeats": 1, "excerpt_segments": 10},
        "throughput": {"tracks": 3, "timed_split": "test", "workers": 2, "verify": 2},
    },
    "full": {
        "xmcd_phantom": {"detector": 1024, "frames_per_acquisition": 2, "tape_speed_m_s": 0.381,
                         "compression": "gzip"},
        "paired_corpus": {"tracks": 60, "track_s": 30.0, "clip_s": 5.0},
        "beamline_files": {"detector": 96, "positions": 16, "frames": 5},
        "forward_model": {"clip_s": 5.0, "transfer_levels": 41},
        "preisach_ablation": {"repeats": 3, "excerpt_segments": 200},
        "throughput": {"tracks": 60, "timed_split": None, "verify": None},
    },
}


def _write(tmp_path, doc):
    path = tmp_path / "profiles.yml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_book_profiles_keep_the_sizes_the_chapters_used():
    assert profile_names() == ("full", "quick")
    for profile, sections in BEFORE.items():
        for section, expected in sections.items():
            got = profile_section(profile, section)._asdict()
            assert {k: got[k] for k in expected} == expected, (profile, section)


def test_training_presets_are_the_former_presets():
    # two routes to one configuration: the profile file through preset(), and the
    # TrainConfig/UNetConfig the presets were written as in code
    from thesis_lib.denoise.config import TrainConfig, preset
    from thesis_lib.denoise.unet import UNetConfig

    quick = TrainConfig(epochs=10, batch_size=2, lr=6e-3, warmup_steps=10, segment_length=32768,
                        model=UNetConfig(depth=5, width=8, max_width=32,
                                         level_equivariant=True).to_dict())
    assert preset("quick").to_dict() == quick.to_dict()
    assert preset("full").to_dict() == TrainConfig().to_dict()
    assert preset("quick", seed=3).seed == 3 and preset("quick", lr=None).lr == 6e-3


def test_section_is_immutable_and_a_fresh_copy():
    sizes = profile_section("quick", "training")
    with pytest.raises(AttributeError):
        sizes.epochs = 1
    sizes.model["depth"] = 99  # a caller's change does not reach the next caller
    assert profile_section("quick", "training").model["depth"] == 5
    assert load_profiles()["quick"]["training"]["model"]["depth"] == 5


def test_unknown_profile_or_section_is_one_line_naming_the_file():
    with pytest.raises(ValueError, match=r"^unknown profile 'huge'; data_manifests/profiles.yml "
                                         r"defines full, quick$"):
        profile_section("huge", "paired_corpus")
    with pytest.raises(ValueError, match=r"profiles.yml has no section 'nope' .*add it"):
        profile_section("quick", "nope")


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["profiles"]["full"].pop("throughput"), r"differ in sections \['throughput'\]"),
    (lambda d: d["profiles"]["full"]["throughput"].pop("verify"), r"differs in keys \['verify'\]"),
    (lambda d: d["profiles"]["quick"]["training"].update(lr="6e-3"),
     r"quick.training.lr is the text '6e-3'; write a number with a decimal point"),
    (lambda d: d["profiles"]["full"]["throughput"].update(tracks="sixty"),
     r"throughput.tracks is a .* in 'full' but a .* in 'quick'"),
    (lambda d: d.pop("profiles"), r"expected a mapping `profiles:"),
])
def test_malformed_files_are_refused_naming_the_file(tmp_path, edit, message):
    doc = yaml.safe_load(PROFILE_FILE.read_text())
    edit(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(ValueError, match=message) as info:
        profile_section("quick", "throughput", path=path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_null_matches_any_kind(tmp_path):
    doc = {"profiles": {"a": {"s": {"n": None, "k": 1}}, "b": {"s": {"n": "x", "k": 2.5}}}}
    path = _write(tmp_path, doc)
    assert profile_section("a", "s", path=path)._asdict() == {"k": 1, "n": None}
    assert profile_section("b", "s", path=path).n == "x"


def test_a_missing_or_unparsable_profile_file_is_one_line_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"gone.yml: no such profile file; restore it"):
        profile_section("quick", "s", path=tmp_path / "gone.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("profiles:\n  quick: {s: {k: 1}\n")
    with pytest.raises(ValueError, match=r"bad.yml: not valid YAML \(.* at line 3, column 1\); "
                                         r"fix the line it names") as info:
        profile_section("quick", "s", path=bad)
    assert "\n" not in str(info.value)
