"""Ports for test servers: a stack asks for many before any server binds one."""

from service_runtime.testing.processes import free_port


def test_free_port_never_hands_out_a_port_twice_in_one_process():
    # 600 picks from ~12,800 ports would almost surely repeat one if picks were independent.
    ports = [free_port() for _ in range(600)]
    assert len(set(ports)) == len(ports)

