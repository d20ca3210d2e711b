"""Complex numbers as JAX defines them (its autodiff cookbook, "Complex numbers and differentiation").

- every primitive that takes complex values passes the op tests' checks with complex draws: its JVP
  against finite differences along complex tangents, its VJP against the JVP by the transpose identity
  Re<u, J v> == Re<J^T u, v> (JAX's pairing: no conjugation), complex64 kept, fast forms = reference;
- every other primitive refuses complex input with a TypeError naming it;
- the transforms give JAX's documented values: grad(|z|²)(3 + 4i) = 6 - 8i, holomorphic=True, and JAX's
  dtype rules for grad, jacfwd and jacrev.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import admodes as ad
import admodes.numpy as anp
from admodes.ops.complex import COMPLEX_PRIMITIVES
from admodes.ops.core import REGISTRY, jvp_of, vjp_of

from .ops import cases_complex
from .ops.harness import Draw, check_fast_forms, check_rules, diff_positions, normal
from .ops.test_rules import CASES

TAKES_COMPLEX = {name for name, prim in REGISTRY.items() if prim.rules.complex}
REPLACED = {c.name for c in cases_complex.COMPLEX_DOMAINS}
COMPLEX_CASES = {c.id: c for c in CASES if c.name in TAKES_COMPLEX and c.name not in REPLACED}
COMPLEX_CASES.update({c.id: c for c in cases_complex.COMPLEX_DOMAINS})
# (a piecewise-constant op, tie_weights' masks, passes complex values through without a derivative, like argmax)
REFUSING = sorted(c.id for c in CASES if c.name not in TAKES_COMPLEX and not REGISTRY[c.name].rules.zero)
RULES = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_declared_list_is_what_the_registry_says():
    assert set(COMPLEX_PRIMITIVES) <= TAKES_COMPLEX
    assert {"real", "imag", "conjugate", "astype"} <= TAKES_COMPLEX
    assert "maximum" not in TAKES_COMPLEX and "linalg.cholesky" not in TAKES_COMPLEX


@pytest.mark.parametrize("case_id", sorted(COMPLEX_CASES))
@RULES
@given(data=st.data())
def test_rules_complex128(case_id, data):
    check_rules(COMPLEX_CASES[case_id], Draw(data, np.complex128))


@pytest.mark.parametrize("case_id", sorted(COMPLEX_CASES))
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rules_keep_complex64(case_id, data):
    case = COMPLEX_CASES[case_id]
    prim, d = REGISTRY[case.name], Draw(data, np.complex64)
    args, params = case.draw(d)
    ans = np.asarray(prim(*args, **params))
    assert ans.dtype in (np.complex64, np.float32), f"{case_id}: complex64 inputs gave {ans.dtype}"
    positions = diff_positions(prim, args, case.constants)
    tangents = tuple(normal(d.rng, np.shape(a), np.result_type(a)) if i in positions else None
                     for i, a in enumerate(args))
    jvp = jvp_of(prim, tangents, ans, tuple(args), params)
    assert jvp is None or np.asarray(jvp).dtype == ans.dtype, f"{case_id}: JVP is {np.asarray(jvp).dtype}"
    needed = tuple(i in positions for i in range(len(args)))
    cts = vjp_of(prim, normal(d.rng, ans.shape, ans.dtype), ans, tuple(args), params, needed,
                 tuple(np.shape(a) for a in args))
    for i in positions:
        if cts[i] is not None:
            assert np.asarray(cts[i]).dtype == np.result_type(args[i]), f"{case_id}: VJP of argument {i} is " \
                f"{np.asarray(cts[i]).dtype}, the argument {np.result_type(args[i])}"


FAST = sorted(i for i, c in COMPLEX_CASES.items() if REGISTRY[c.name].elementwise or REGISTRY[c.name].rules.fast)


@pytest.mark.parametrize("case_id", FAST)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_path_equals_the_reference_path_complex(case_id, data):
    check_fast_forms(COMPLEX_CASES[case_id], Draw(data, np.complex128))


@pytest.mark.parametrize("case_id", REFUSING)
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_other_primitive_refuses_complex_input_by_name(case_id, data):
    case = next(c for c in CASES if c.id == case_id)
    prim = REGISTRY[case.name]
    args, params = case.draw(Draw(data, np.complex128))
    if not any(np.iscomplexobj(a) for a in args):
        return  # (a case of integer or boolean arguments only)
    with pytest.raises(TypeError, match=f"admodes.{prim.name}"):
        prim(*args, **params)


# ---- the transforms: JAX's documented values and rules --------------------------------------------------

def test_grad_of_a_real_function_of_a_complex_number_is_jaxs():
    # JAX's cookbook: grad(f)(z) for f(z) = |z|² at 3 + 4i is 6 - 8i (df/dx - i df/dy), in both spellings
    assert ad.grad(lambda z: anp.abs(z) ** 2)(3 + 4j) == pytest.approx(6 - 8j)
    assert ad.grad(lambda z: anp.real(z) ** 2 + anp.imag(z) ** 2)(3 + 4j) == pytest.approx(6 - 8j)
    assert ad.grad(lambda z: (z * anp.conj(z)).real)(np.array(3 + 4j)) == pytest.approx(6 - 8j)


def test_grad_of_the_parts():
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(anp.real(z)))(z), [1, 1])
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(anp.imag(z)))(z), [-1j, -1j])
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(anp.angle(z)))(z), -1j / z)
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(anp.angle(z, deg=True)))(z), -1j / z * 180 / np.pi)
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(anp.angle(x)))(np.array([-2.0, 3.0])), [0, 0])
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(anp.abs(z)))(z), np.conj(z) / np.abs(z))
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(anp.abs(z)))(np.zeros(2, complex)), [0, 0])  # |z|'(0) = 0


def test_grad_in_reverse_mode_agrees_with_forward_mode_along_1_and_i():
    # the gradient df/dx - i df/dy from two forward sweeps, against the reverse sweep
    def f(z):
        return anp.sum(anp.abs(anp.sin(z) * anp.conj(z) + z ** 2) + anp.angle(anp.exp(z) + 2.0))
    z = np.array([0.3 + 0.7j, -1.1 + 0.2j, 0.5 - 0.4j])
    expected = []
    for k in range(z.size):
        e = np.zeros(z.size, complex)
        e[k] = 1.0
        dx = ad.jvp(f, (z,), (e,))[1]
        dy = ad.jvp(f, (z,), (1j * e,))[1]
        expected.append(dx - 1j * dy)
    np.testing.assert_allclose(ad.grad(f)(z), expected, rtol=1e-12)
    np.testing.assert_allclose(ad.jacrev(f)(z), expected, rtol=1e-12)


def test_holomorphic_derivatives_are_f_prime():
    z = np.array([0.3 + 0.7j, -1.1 + 0.2j])
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(anp.sin(z)), holomorphic=True)(z), np.cos(z))
    np.testing.assert_allclose(ad.jacfwd(anp.exp, holomorphic=True)(z), np.diag(np.exp(z)))
    np.testing.assert_allclose(ad.jacrev(anp.exp, holomorphic=True)(z), np.diag(np.exp(z)))
    np.testing.assert_allclose(ad.hessian(lambda z: anp.sum(z ** 3), holomorphic=True)(z), np.diag(6 * z))
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(z ** 3), mode="forward", holomorphic=True)(z), 3 * z ** 2)


def test_jvp_and_vjp_with_complex_tangents_and_cotangents():
    a = np.array([[1.0 + 1.0j, 2.0], [0.5j, -1.0]])
    z = np.array([0.2 + 0.1j, 1.0 - 0.3j])
    t = np.array([1.0 - 2.0j, 0.5j])
    out, tangent = ad.jvp(lambda z: a @ anp.exp(z), (z,), (t,))
    np.testing.assert_allclose(out, a @ np.exp(z))
    np.testing.assert_allclose(tangent, a @ (np.exp(z) * t))
    u = np.array([0.3 - 1.0j, 2.0 + 0.5j])
    (ct,) = ad.vjp(lambda z: a @ anp.exp(z), z)[1](u)
    np.testing.assert_allclose(ct, (a.T @ u) * np.exp(z))  # the transpose: no conjugation
    # a real input of a complex function: the real part of the transpose
    (ct,) = ad.vjp(lambda x: anp.exp(1j * x), np.array([0.5, 1.0]))[1](u)
    assert ct.dtype == np.float64
    np.testing.assert_allclose(ct, np.real(u * 1j * np.exp(1j * np.array([0.5, 1.0]))))


def test_jacfwd_of_a_real_input_with_complex_output():
    x = np.array([0.5, 1.0], np.float32)
    jac = ad.jacfwd(lambda x: anp.exp(1j * x))(x)
    assert jac.dtype == np.complex64
    np.testing.assert_allclose(jac, np.diag(1j * np.exp(1j * x)), rtol=1e-6)


def test_second_derivatives_through_complex_intermediates():
    # d²/dx² |exp(i x) (1 + x)|² = d²/dx² (1 + x)² = 2
    f = lambda x: anp.abs(anp.exp(1j * x) * (1.0 + x)) ** 2  # noqa: E731
    assert ad.grad(ad.grad(f))(np.array(0.7)) == pytest.approx(2.0)
    assert ad.hessian(f)(np.array(0.7)) == pytest.approx(2.0)


def test_a_complex_input_gets_a_complex_zero_gradient():
    g = ad.grad(lambda z, w: anp.real(w), argnums=0)(np.array([1j]), np.array(2.0 + 0j))
    assert g.dtype == np.complex128 and np.all(g == 0)


@pytest.mark.parametrize("call, message", [
    (lambda: ad.grad(lambda z: z * z)(1j), "grad requires real-valued outputs"),
    (lambda: ad.grad(lambda x: x * x, holomorphic=True)(1.0), "requires inputs with complex dtype"),
    (lambda: ad.grad(lambda z: anp.abs(z), holomorphic=True)(1j), "requires outputs with complex dtype"),
    (lambda: ad.jacfwd(anp.sin)(np.array([1j])), "jacfwd requires real-valued inputs"),
    (lambda: ad.jacrev(anp.sin)(np.array([1j])), "jacrev requires real-valued outputs"),
    (lambda: ad.jacfwd(anp.abs, holomorphic=True)(np.array([1j])), "requires outputs with complex dtype"),
    (lambda: ad.vjp(lambda z: z * 2, np.array([1j]))[1](np.array([1.0])), "cotangent has dtype float64"),
])
def test_jaxs_dtype_rules_are_enforced(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_an_op_without_complex_rules_names_itself():
    with pytest.raises(TypeError, match="admodes.maximum does not take complex input"):
        ad.grad(lambda z: anp.real(anp.maximum(z, 1.0)))(1j)
    with pytest.raises(TypeError, match="admodes.var does not take complex input"):
        ad.grad(lambda z: anp.var(z))(np.array([1j, 2.0]))
    with pytest.raises(TypeError, match="admodes.maximum"):
        anp.maximum(np.array([1j]), 1.0)


def test_methods_and_numpy_protocols_on_traced_complex_values():
    z = np.array([1.0 + 2.0j])
    g = ad.grad(lambda z: (z.real * z.imag + np.abs(np.conj(z))).sum())(z)
    np.testing.assert_allclose(g, z.imag - 1j * z.real + np.conj(z) / np.abs(z))
    g = ad.grad(lambda z: np.real(z.conj() * z).sum())(z)
    np.testing.assert_allclose(g, 2 * np.conj(z))


def test_plain_complex_values_pass_through_ops_that_take_them():
    z = np.array([1.0 + 2.0j])
    np.testing.assert_allclose(anp.exp(z), np.exp(z))
    np.testing.assert_allclose(anp.abs(z), np.abs(z))


# ---- eig and the FFTs through the transforms -----------------------------------------------------------

def test_eigenvalue_gradients_of_a_real_matrix_with_a_complex_pair():
    a = np.array([[1.0, -2.0, 0.3], [2.0, 1.0, 0.1], [0.0, 0.2, -1.0]])   # eigenvalues near 1 +- 2i and -1
    def f(a):
        w = anp.linalg.eigvals(a)
        return anp.sum(anp.abs(w) ** 2 + anp.angle(w))
    g = ad.grad(f)(a)
    assert g.dtype == np.float64
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = 1e-6
        plain = lambda a: float(np.sum(np.abs(np.linalg.eigvals(a)) ** 2 + np.angle(np.linalg.eigvals(a))))  # noqa: E731
        numeric[idx] = (plain(a + e) - plain(a - e)) / 2e-6
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)
    # np.linalg.eigvals on a traced value reaches admodes' eig too
    np.testing.assert_allclose(ad.grad(lambda a: np.sum(np.linalg.eigvals(a)).real)(a), np.eye(3), atol=1e-12)


def test_eig_gives_unit_eigenvectors_with_a_positive_largest_component():
    a = np.array([[0.0, 1.0], [-2.0, -3.0]])
    w, v = anp.linalg.eig(a)
    np.testing.assert_allclose(a @ v, v * w, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(v, axis=0), [1, 1])
    largest = v[np.argmax(np.abs(v), axis=0), [0, 1]]
    assert np.all(largest.real > 0) and np.all(largest.imag == 0)


def test_repeated_eigenvalues_warn_only_where_the_eigenvectors_are_used():
    a = np.eye(2)
    with pytest.warns(RuntimeWarning, match=r"admodes.linalg.eig: .*eigenvalues 0 and 1 are equal"):
        ad.grad(lambda a: anp.linalg.eig(a)[1][0, 1].real)(a)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(ad.grad(lambda a: anp.linalg.eigvals(a).real.sum())(a), np.eye(2))


def test_fft_gradients_against_finite_differences():
    x = np.array([0.3, -1.2, 0.7, 2.0, -0.4])
    def f(x):
        spectrum = anp.fft.rfft(x, n=6)
        return anp.sum(anp.abs(spectrum) ** 2) + anp.sum(anp.fft.irfft(spectrum * (1 + 1j), n=5) ** 3)
    def plain(x):
        spectrum = np.fft.rfft(x, n=6)
        return np.sum(np.abs(spectrum) ** 2) + np.sum(np.fft.irfft(spectrum * (1 + 1j), n=5) ** 3)
    numeric = [(plain(x + e) - plain(x - e)) / 2e-6 for e in np.eye(5) * 1e-6]
    np.testing.assert_allclose(ad.grad(f)(x), numeric, rtol=1e-6)
    np.testing.assert_allclose(ad.jacfwd(f)(x), numeric, rtol=1e-6)
    z = np.arange(6.0).reshape(2, 3) * (1 - 0.5j)
    g = ad.grad(lambda z: anp.sum(anp.abs(anp.fft.fft2(z, s=(3, 2))) ** 2))(z)
    expected = 2 * np.conj(z) * 6.0  # Parseval on the kept 2 x 2 block, padded to 3 x 2: 6 |z|² there
    expected[:, 2:] = 0
    np.testing.assert_allclose(g, expected, atol=1e-10)
    np.testing.assert_allclose(ad.grad(lambda z: anp.sum(anp.abs(anp.fft.ifft2(z)) ** 2))(z), 2 * np.conj(z) / 6,
                               atol=1e-12)


def test_complex_outputs_are_taken_where_jax_takes_them():
    x = np.array([0.5, 1.0])
    f = lambda x: x * 1j  # noqa: E731
    np.testing.assert_allclose(ad.jvp(f, (x,), (np.ones(2),))[1], [1j, 1j])
    np.testing.assert_allclose(ad.jacfwd(f)(x), np.eye(2) * 1j)
    np.testing.assert_allclose(ad.jacfwd(f, batch=True)(x), np.eye(2) * 1j)
    np.testing.assert_allclose(ad.vjp(f, x)[1](np.array([1j, 2.0]))[0], [-1, 0])  # Re(u i)
    np.testing.assert_allclose(ad.vmap(f)(np.stack([x, x])), np.stack([x, x]) * 1j)
    for name, call in [("jacrev", lambda: ad.jacrev(f)(x)), ("jacrev", lambda: ad.jacrev(f, batch=True)(x)),
                       ("jacrev", lambda: ad.hessian(lambda x: anp.sum(f(x)))(x)),
                       ("grad", lambda: ad.grad(lambda x: anp.sum(f(x)))(x)),
                       ("grad", lambda: ad.grad(lambda x: anp.sum(f(x)), mode="forward")(x)),
                       ("grad", lambda: ad.hvp(lambda x: anp.sum(f(x)), x, x))]:
        with pytest.raises(TypeError, match=f"{name} requires real-valued outputs"):
            call()
