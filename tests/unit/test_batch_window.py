from streams.kafka.batches import BatchWindow


def window() -> BatchWindow:
    return BatchWindow(full_s=0.020, short_s=0.005, small_records=50)


def test_a_worker_that_keeps_up_waits_the_short_window() -> None:
    batches = window()
    assert batches.seconds() == 0.005  # nothing taken yet: an idle worker keeps up
    batches.took(49)
    assert batches.seconds() == 0.005


def test_a_large_batch_brings_the_full_window_until_batches_are_small_again() -> None:
    batches = window()
    batches.took(50)
    assert batches.seconds() == 0.020
    batches.took(500)
    assert batches.seconds() == 0.020
    batches.took(12)
    assert batches.seconds() == 0.005


def test_equal_windows_never_change() -> None:
    batches = BatchWindow(full_s=0.020, short_s=0.020, small_records=50)
    for records in (0, 1, 50, 500):
        batches.took(records)
        assert batches.seconds() == 0.020
