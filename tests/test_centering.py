"""Tests for hlmtutor.centering against guide.R's base-R centering lines."""

import numpy as np
import pandas as pd
import pytest

from hlmtutor import center_grand, center_within, group_mean

FOLDER = "foundation/"
RTOL = 1e-12


@pytest.fixture(scope="module")
def centered_ref(read_reference):
    # R: ave(ses, classroom_id); ses - ave(...); ses_grpmean - mean(cluster_values)
    return read_reference(FOLDER + "guide_centered_full.csv")


def test_group_mean_matches_ave(data, centered_ref):
    result = group_mean(data["ses"], data["classroom_id"])
    np.testing.assert_allclose(result, centered_ref["ses_grpmean"], rtol=RTOL)
    assert result.index.equals(data.index) and result.name == "ses"


def test_center_within_matches_guide(data, centered_ref):
    result = center_within(data["ses"], data["classroom_id"])
    np.testing.assert_allclose(result, centered_ref["ses_mc"], rtol=1e-10, atol=1e-12)


def test_center_grand_of_cluster_means_matches_guide(data, centered_ref):
    grpmean = group_mean(data["ses"], data["classroom_id"])
    result = center_grand(grpmean, data["classroom_id"])
    np.testing.assert_allclose(result, centered_ref["ses_gmc"], rtol=1e-10, atol=1e-12)


def test_centered_head_matches_r_head(data, read_reference):
    # R: head(data) after the centering lines of guide.R
    ref = read_reference(FOLDER + "guide_centered_head.csv")
    frame = data.assign(
        ses_grpmean=group_mean(data["ses"], data["classroom_id"]),
        ses_mc=center_within(data["ses"], data["classroom_id"]),
    )
    frame["ses_gmc"] = center_grand(frame["ses_grpmean"], frame["classroom_id"])
    pd.testing.assert_frame_equal(frame.head(6), ref, check_dtype=False, rtol=1e-10)


def test_center_grand_without_cluster(data, read_reference):
    # R: ses - mean(ses)
    ref = read_reference(FOLDER + "guide_ses_cgm.csv")
    np.testing.assert_allclose(center_grand(data["ses"]), ref["ses_cgm"], rtol=1e-10)


def test_missing_values_are_kept_and_ignored(read_reference):
    # R: ave(x, g, FUN = mean na.rm); tapply per cluster; x - mean(x, na.rm = TRUE)
    ref = read_reference(FOLDER + "small_centering.csv")
    x, g = ref["score"], ref["team"]
    np.testing.assert_allclose(group_mean(x, g), ref["group_mean"], rtol=RTOL)
    np.testing.assert_allclose(center_within(x, g), ref["center_within"], rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(
        center_grand(group_mean(x, g), g), ref["center_grand_cluster"], rtol=RTOL
    )
    np.testing.assert_allclose(center_grand(x), ref["center_grand"], rtol=RTOL)
    assert center_within(x, g).isna().tolist() == x.isna().tolist()


def test_index_and_arrays():
    x = pd.Series([1.0, 2.0, 3.0, 7.0], index=[10, 11, 12, 13], name="score")
    cluster = np.array(["a", "a", "b", "b"])
    result = center_within(x, cluster)
    assert list(result.index) == [10, 11, 12, 13] and result.name == "score"
    assert result.tolist() == [-0.5, 0.5, -2.0, 2.0]
    # a list pairs by position too, and so does a cluster Series with an array x
    assert group_mean(np.array([1, 2, 3, 7]), cluster).tolist() == [1.5, 1.5, 5.0, 5.0]
    pd.testing.assert_series_equal(center_within(x, list(cluster)), result)
    labelled = pd.Series(cluster, index=[7, 3, 5, 1])
    assert center_within(x.to_numpy(), labelled).tolist() == [-0.5, 0.5, -2.0, 2.0]


def test_center_grand_with_cluster_weights_each_cluster_once():
    # 3 rows of cluster "a" (value 0) and 1 row of "b" (value 4): the mean is 2, not 1
    result = center_grand([0.0, 0.0, 0.0, 4.0], cluster=["a", "a", "a", "b"])
    assert result.tolist() == [-2.0, -2.0, -2.0, 2.0]


def test_varying_level2_variable_names_the_first_cluster(data):
    with pytest.raises(ValueError, match="varies within cluster 1 .*center_within"):
        center_grand(data["ses"], data["classroom_id"])
    with pytest.raises(ValueError, match="varies within cluster 'b'"):
        center_grand([1.0, 1.0, 2.0, 3.0, 5.0, 6.0], ["a", "a", "b", "b", "c", "c"])


def test_mismatched_lengths_name_both_lengths():
    with pytest.raises(ValueError, match="x has 3 values and cluster has 2"):
        center_within([1.0, 2.0, 3.0], [1, 2])
    with pytest.raises(ValueError, match="x has 2 values and cluster has 3"):
        center_grand([1.0, 2.0], [1, 1, 2])


def test_non_numeric_x_is_a_clear_error():
    with pytest.raises(TypeError, match="'team' must be numeric"):
        group_mean(pd.Series(["a", "b"], name="team"), [1, 2])
    with pytest.raises(TypeError, match="not a DataFrame"):
        center_within(pd.DataFrame({"x": [1.0]}), [1])


def test_missing_cluster_id_gives_nan_with_a_warning():
    with pytest.warns(UserWarning, match="1 value\\(s\\) of cluster are missing"):
        result = center_within([1.0, 2.0, 3.0], ["a", None, "a"])
    assert result.tolist()[0] == -1.0 and np.isnan(result.tolist()[1])


def test_two_series_pair_by_index_label(data, centered_ref):
    # R: ave(ses, classroom_id) and ses - ave(...), whatever order the Series come in
    ses, room = data["ses"], data["classroom_id"]
    shuffled_room = room.sample(frac=1, random_state=7)
    assert not shuffled_room.index.equals(ses.index)
    mean = group_mean(ses, shuffled_room)
    assert mean.index.equals(ses.index)
    np.testing.assert_allclose(mean, centered_ref["ses_grpmean"], rtol=RTOL)
    np.testing.assert_allclose(
        center_within(ses, shuffled_room), centered_ref["ses_mc"], rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        center_grand(mean, shuffled_room), centered_ref["ses_gmc"], rtol=1e-10, atol=1e-12
    )
    # x shuffled instead: the result keeps x's (shuffled) index, each row its own cluster
    shuffled_ses = ses.sample(frac=1, random_state=8)
    within = center_within(shuffled_ses, room)
    assert within.index.equals(shuffled_ses.index)
    np.testing.assert_allclose(within.sort_index(), centered_ref["ses_mc"], rtol=1e-10, atol=1e-12)


def test_series_with_other_index_labels_are_refused():
    x = pd.Series([1.0, 2.0, 3.0, 7.0], index=[10, 11, 12, 13])
    cluster = pd.Series(["a", "a", "b", "b"], index=[0, 1, 2, 3])
    message = (
        r"x and cluster have different index labels \(in x only: \[10, 11, 12, \.\.\.\]; "
        r"in cluster only: \[0, 1, 2, \.\.\.\]\).*cluster\.to_numpy\(\).*reset_index"
    )
    for function in (group_mean, center_within, center_grand):
        with pytest.raises(ValueError, match=message):
            function(x, cluster)
    # the same number of rows but one label differs
    with pytest.raises(ValueError, match=r"in x only: \[13\]; in cluster only: \[99\]"):
        center_within(x, cluster.set_axis([10, 11, 12, 99]))
    # repeated labels cannot be matched unless the indexes are equal
    with pytest.raises(ValueError, match="cluster repeats index labels"):
        group_mean(x, cluster.set_axis([10, 10, 12, 13]))
    repeated = x.set_axis([5, 5, 6, 6])
    assert group_mean(repeated, cluster.set_axis([5, 5, 6, 6])).tolist() == [1.5, 1.5, 5.0, 5.0]
