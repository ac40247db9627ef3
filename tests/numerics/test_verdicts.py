"""Verdicts at kinks, in noise and in float32: each rule on the smallest function that needs it."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import gradcheck
from gradcheck.cli import main
from gradcheck.output import files, terminal


def relu(z):
    return np.maximum(z, 0.0)


class TestKinks:
    def test_relu_at_exactly_0_accepts_either_one_sided_derivative(self):
        for convention in (0.0, 1.0):
            report = gradcheck.check(lambda w: float(relu(w[0])), lambda w: np.array([convention]), np.zeros(1))
            assert report.ok and report["param"].detail["kinks"] == 1

    def test_relu_at_exactly_0_refuses_a_value_outside_the_one_sided_derivatives(self):
        report = gradcheck.check(lambda w: float(relu(w[0])), lambda w: np.array([2.0]), np.zeros(1))
        assert not report.ok and report["param"].detail["wrong_at_kinks"] == 1

    def test_a_kink_crossed_by_the_step_leaves_a_right_gradient_right(self):
        z0 = 1e-9  # the step (about 6e-6) crosses the kink; the point itself is differentiable
        report = gradcheck.check(lambda w: float(relu(w[0]) * 3.0), lambda w: np.array([3.0]), np.array([z0]))
        assert report.ok

    def test_a_kink_crossed_by_the_step_does_not_hide_a_wrong_gradient(self):
        report = gradcheck.check(lambda w: float(relu(w[0]) * 3.0), lambda w: np.array([3.3]), np.array([1e-9]))
        assert not report.ok

    def test_max_pooling_with_an_exact_tie_accepts_routing_to_the_first_maximum(self):
        def loss(p):
            return float(np.max(p["x"]) * 2.0)

        def grad(p):
            g = np.zeros(3)
            g[np.argmax(p["x"])] = 2.0
            return {"x": g}

        assert gradcheck.check(loss, grad, {"x": np.array([1.0, 1.0, 0.5])}).ok

    @staticmethod
    def several_zeros(error: float = 0.0):
        x = np.array([[1.0, -1.0], [2.0, 1.0], [-1.0, 1.0]])  # rows of z = x @ w are exactly 0 for w = 0
        y = np.array([1.0, -2.0, 0.5])

        def loss_and_grad(p):
            z = x @ p["w"]
            r = relu(z) - y
            return 0.5 * float(r @ r), {"w": x.T @ (r * (z > 0)) * (1 + error)}

        return loss_and_grad, {"w": np.zeros(2)}

    def test_several_relu_inputs_exactly_0_at_once_are_judged_a_little_way_off_the_point(self):
        loss_and_grad, params = self.several_zeros()
        report = gradcheck.check(loss_and_grad, None, params)
        assert report.ok and report["w"].detail["nearby"] >= 1

    @pytest.mark.parametrize("mode", ["full", "probe"])
    def test_several_relu_inputs_exactly_0_at_once_still_show_a_wrong_gradient(self, mode):
        loss_and_grad, params = self.several_zeros(error=0.1)
        assert not gradcheck.check(loss_and_grad, None, params, mode=mode).ok

    def test_several_relu_inputs_exactly_0_at_once_are_right_in_probe_mode_too(self):
        loss_and_grad, params = self.several_zeros()
        assert gradcheck.check(loss_and_grad, None, params, mode="probe").ok

    @pytest.mark.parametrize("mode", ["full", "probe"])
    def test_a_linear_layer_never_gets_a_kink_label(self, mode):
        rng = np.random.default_rng(3)
        x, u = rng.normal(size=(6, 5)), rng.normal(size=(6, 4))
        wrong = x.T @ u * 1.5  # wrong everywhere, on a function that is linear in w

        report = gradcheck.check(lambda w: float(np.sum(u * (x @ w))), lambda w: wrong, rng.normal(size=(5, 4)),
                                 mode=mode)
        assert not report.ok and "kinks" not in report["param"].detail


class TestFloat32Kinks:
    def test_a_tanh_saturating_within_float32s_step_gets_no_kink_label(self):
        def loss_and_grad(p):
            w = np.asarray(p["w"], dtype=np.float32)
            z = np.float32(1e4) * w  # an input of 1e4: tanh saturates within a step of a few percent of w
            t = np.tanh(z)
            return float(np.sum(t)), {"w": (np.float32(1e4) * (1 - t * t)).astype(np.float32)}

        report = gradcheck.check(loss_and_grad, None, {"w": np.array([1e-5, -2e-5, 3e-5], dtype=np.float32)})
        assert report.ok and "kinks" not in report["w"].detail


class TestNoise:
    def test_a_float64_relu_net_whose_noise_probe_crosses_a_kink_gets_no_lower_precision_note(self):
        report = gradcheck.check(lambda w: float(relu(w[0]) + w[1] ** 2), lambda w: np.array([0.0, 2 * w[1]]),
                                 np.array([0.0, 1.5]))
        assert report.ok and not any("lower precision" in n for n in report.notes)

    def test_a_single_entry_off_by_5e_6_is_caught_in_float64(self):
        a = np.linspace(1.0, 2.0, 6)

        def grad(w):
            g = 2 * a * w
            g[3] *= 1 + 5e-6
            return g

        report = gradcheck.check(lambda w: float(np.sum(a * w * w)), grad, np.linspace(-1.0, 1.0, 6))
        assert not report.ok and report["param"].detail["indices"] == [[3]]


def float32_net(seed: int, error: float = 0.0):
    """A tanh MLP that computes in float32 inside, with float32 parameters; ``error`` spoils one entry of dW1."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(8, 5)).astype(np.float32)
    y = rng.normal(size=(8, 3)).astype(np.float32)
    params = {"W1": rng.normal(size=(5, 8)).astype(np.float32), "W2": rng.normal(size=(8, 3)).astype(np.float32)}

    def loss_and_grad(p, spoil=True):
        w1, w2 = (np.asarray(p[k], dtype=np.float32) for k in ("W1", "W2"))
        h = np.tanh(x @ w1)
        d = h @ w2 - y
        dz = (d @ w2.T) * (1 - h * h)
        g1 = x.T @ dz
        if spoil:
            g1[largest] *= 1 + error
        return float(0.5 * np.sum(d * d)), {"W1": g1, "W2": h.T @ d}

    g1 = loss_and_grad(params, spoil=False)[1]["W1"]
    largest = np.unravel_index(np.argmax(np.abs(g1)), g1.shape)  # an entry a relative error shows in
    return loss_and_grad, params


class TestFloat32:
    @pytest.mark.parametrize("seed", range(5))
    def test_a_right_float32_net_is_ok(self, seed):
        loss_and_grad, params = float32_net(seed)
        assert gradcheck.check(loss_and_grad, None, params).ok

    @pytest.mark.parametrize("seed", range(5))
    def test_an_entry_off_by_1e_2_is_caught_in_float32(self, seed):
        loss_and_grad, params = float32_net(seed, error=1e-2)
        report = gradcheck.check(loss_and_grad, None, params)
        assert not report["W1"].ok and report["W2"].ok

    def test_the_report_says_the_reference_was_taken_in_float64(self):
        loss_and_grad, params = float32_net(0)
        assert ("the loss was evaluated in float64 for the numerical side (parameters are float32)"
                in gradcheck.check(loss_and_grad, None, params).notes)


def saturated():
    """A sigmoid unit driven far into saturation: its gradient, about 1e-20, is below what differences resolve."""
    x = np.array([[1.0, 2.0]])

    def loss_and_grad(p):
        s = 1.0 / (1.0 + np.exp(-(x @ p["w"] + 46.0)))
        return float(np.sum(s)), {"w": x.T @ (s * (1 - s))}

    return loss_and_grad, {"w": np.array([[0.5], [-0.25]])}


class TestInconclusive:
    def test_a_saturated_unit_is_inconclusive_and_the_report_stays_ok(self):
        report = gradcheck.check(*saturated()[:1], None, saturated()[1])
        r = report["w"]
        assert (r.kind, r.ok, report.ok, report.certified) == ("inconclusive", False, True, False)
        assert str(report).splitlines()[0].startswith("gradients OK: 0 of 1 parameter match, 1 inconclusive")
        assert "what would decide it" in r.hint and "float64 parameters" not in r.hint

    def test_inconclusive_in_json_text_terminal_junit_and_markdown(self, tmp_path):
        loss_and_grad, params = saturated()
        report = gradcheck.check(loss_and_grad, None, params)
        data = json.loads(json.dumps(report.to_dict()))
        assert data["ok"] is True and data["certified"] is False
        assert data["parameters"][0]["kind"] == "inconclusive" and data["parameters"][0]["detectable"] is None
        assert "w: inconclusive" in str(report)
        (tmp_path / "c.py").write_text(
            "import gradcheck\nfrom tests.numerics.test_verdicts import saturated\n\n"
            "@gradcheck.case\ndef sat():\n    lg, p = saturated()\n    return gradcheck.Problem(lg, None, p)\n\n"
            "@gradcheck.case(expect='inconclusive')\ndef sat_expected():\n    lg, p = saturated()\n"
            "    return gradcheck.Problem(lg, None, p)\n")
        out = CliRunner().invoke(main, ["run", str(tmp_path / "c.py"), "--json", str(tmp_path / "r.json"),
                                        "--junit", str(tmp_path / "r.xml"), "--markdown", str(tmp_path / "r.md")])
        assert out.exit_code == 0, out.output
        assert "INCONCLUSIVE sat " in out.output
        run = json.loads((tmp_path / "r.json").read_text())
        assert [c["status"] for c in run["cases"]] == ["inconclusive", "inconclusive"]
        assert "| inconclusive |" in (tmp_path / "r.md").read_text()
        assert files.to_junit  # the JUnit file was written whole
        assert (tmp_path / "r.xml").read_text().startswith("<?xml")
        buffer = __import__("io").StringIO()
        terminal.console(file=buffer, color=False, width=100).print(terminal.report(report))
        assert "inconclusive" in buffer.getvalue()

    def test_strict_turns_inconclusive_into_a_failure(self, tmp_path):
        loss_and_grad, params = saturated()
        gradcheck.assert_gradients(loss_and_grad, None, params)
        with pytest.raises(gradcheck.GradientError, match="1 inconclusive"):
            gradcheck.assert_gradients(loss_and_grad, None, params, strict=True)
        (tmp_path / "c.py").write_text(
            "import gradcheck\nfrom tests.numerics.test_verdicts import saturated\n\n"
            "@gradcheck.case\ndef sat():\n    lg, p = saturated()\n    return gradcheck.Problem(lg, None, p)\n")
        result = CliRunner().invoke(main, ["run", str(tmp_path / "c.py"), "--strict"])
        assert result.exit_code == 1 and "expected pass, got inconclusive (--strict)" in result.output

    def test_an_additive_atol_never_certifies_agreement(self):
        loss_and_grad, params = saturated()
        assert gradcheck.check(loss_and_grad, None, params, atol=1.0)["w"].kind == "inconclusive"

    def test_every_result_says_what_error_it_would_have_caught(self):
        report = gradcheck.check(lambda w: float(np.sum(w ** 2)), lambda w: 2 * w, np.array([1.0, -2.0, 3.0]))
        assert 0 < report["param"].detectable <= 1e-5

    def test_the_tiny_entries_of_a_right_gradient_are_counted_not_certified(self):
        scale = np.array([1.0, 2.0, 1e-30])  # the third entry's gradient is far below any numerical error
        report = gradcheck.check(lambda w: float(np.sum(scale * w ** 2)), lambda w: 2 * scale * w, np.ones(3))
        assert report["param"].kind == "ok" and report["param"].detail["inconclusive_entries"] == 1
