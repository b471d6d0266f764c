"""`metrics.json` and `ablation.json` record where a run ran, CPU model included (bit-identity holds only there)."""

from lexsign_hf.synth.demo import _machine


def test_machine_record_names_the_cpu_model():
    machine = _machine()
    assert isinstance(machine["cpu_model"], str) and machine["cpu_model"].strip()
    assert machine["torch_threads"] >= 1 and machine["cpu_count"] >= 1
