"""The diagnosis vocabulary: each kind of mistake a gradient can show, and its explanation with the math."""

from __future__ import annotations

from enum import Enum


class Kind(str, Enum):
    """What a parameter's gradient shows. Equal to its string value, and printed as it: ``Kind.OK == "ok"``."""

    OK = "ok"
    SIGN_FLIPPED = "sign-flipped"
    SCALED = "scaled"
    NOT_REDUCED = "not-reduced-over-batch"
    TRANSPOSED = "transposed"
    DISCONNECTED = "disconnected"
    ZERO_GRADIENT = "zero-gradient"
    SHAPE_MISMATCH = "shape-mismatch"
    NONFINITE = "nonfinite"
    WRONG_VALUES = "wrong-values"
    MUTATES_PARAMS = "mutates-params"
    NOISY_LOSS = "noisy-loss"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    __hash__ = str.__hash__

    @property
    def explanation(self) -> str:
        """What the kind means, the usual cause in code, and the rule that fixes it."""
        return EXPLANATIONS[self]


EXPLANATIONS: dict[Kind, str] = {
    Kind.OK: "The analytic gradient agrees with the numerical one in every entry, within the "
    "error of the numerical derivative and the rounding of the analytic one.",
    Kind.SIGN_FLIPPED: "analytic ≈ −numerical in every entry. The backward computes the negative "
    "gradient, usually because the output error is written y − a instead of a − y "
    "(the form that pairs with `W += lr·dW` updates). For L = ½Σ(a − y)², ∂L/∂a = a − y; "
    "keep that sign in the gradient and subtract it in the update: W -= lr·dW.",
    Kind.SCALED: "analytic ≈ k·numerical for one constant k ≠ ±1. A constant factor is missing or "
    "extra. k = m (the batch size): the loss averages over the batch (1/m Σ) but the backward "
    "sums, so divide by m; k = 1/m: the backward divides by m where the loss sums. "
    "k = 2 or ½: the loss is ½Σ(a − y)² but its derivative was taken as 2(a − y), or the "
    "other way round: d/da ½(a − y)² = a − y, d/da (a − y)² = 2(a − y). k = the number of "
    "outputs: a mean over outputs in one pass and a sum in the other.",
    Kind.NOT_REDUCED: "The analytic gradient has an extra batch axis, and its sum over that axis is "
    "right: the bias gradient keeps one row per example. One bias is shared by every "
    "example: z = x W + 1 bᵀ, so ∂z/∂b is a vector of ones and ∂L/∂b = (∂L/∂Z)ᵀ·1 = the sum "
    "of the rows of dZ. Row layout: db = dZ.sum(axis=0, keepdims=True); column layout "
    "(examples are columns): db = dZ.sum(axis=1, keepdims=True).",
    Kind.TRANSPOSED: "analytic ≈ numericalᵀ: the gradient has the parameter's shape swapped (or the "
    "right data in the swapped shape). For z = x W with x of shape (m, d) and W of shape "
    "(d, n), dW = xᵀ dZ has W's shape (d, n); dZ ᵀ x has the transposed shape (n, d). "
    "Write the product so that its shape is the parameter's, and never reshape where a "
    "transpose belongs.",
    Kind.DISCONNECTED: "The numerical gradient is zero everywhere: the loss does not depend on this "
    "parameter at all, yet the analytic gradient is not zero. The forward pass skips the "
    "layer (for example it feeds the input x into the next layer instead of this layer's "
    "output), so the layer's output never reaches the loss. Fix the forward wiring: each "
    "layer must consume the previous layer's output, and the backward must follow the "
    "same path.",
    Kind.ZERO_GRADIENT: "The analytic gradient is zero in every entry while the loss does change with "
    "the parameter: no nonzero term reaches it. Either nothing is accumulated into it (a buffer initialised "
    "to zero and never added to, a gradient computed but not returned, a chain cut by an overwritten value), "
    "or only a term that happens to be zero is kept, as when a loop over time steps or examples assigns "
    "(dW = …) where it must accumulate (dW += …) and the last term it assigns is zero.",
    Kind.SHAPE_MISMATCH: "The analytic gradient's shape is not the parameter's, and no rule explains "
    "it (neither a missing batch sum nor a transpose). The gradient of a parameter always "
    "has the parameter's shape: ∂L/∂W[i, j] for every entry W[i, j]. A missing or extra "
    "key in the returned gradients is reported the same way.",
    Kind.NONFINITE: "The analytic gradient contains NaN or inf. Usually an overflow (exp of a large "
    "value: use a stable sigmoid or log-sum-exp), a division by zero, or log(0) in a "
    "cross-entropy without clipping. The numerical gradient at the same point is finite.",
    Kind.WRONG_VALUES: "The analytic gradient disagrees with the numerical one, and no simple relation "
    "(sign, scale, batch sum, transpose) explains it. Look where the mismatches lie: whole "
    "rows or columns point at one unit or one input; single entries point at one "
    "hand-written scalar formula (a copy-paste slip); everything wrong points at a step of "
    "the chain rule shared by the whole parameter, such as the activation derivative or "
    "the upstream error.",
    Kind.MUTATES_PARAMS: "The loss or the gradient function changes the parameters it is given (an in-place update "
    "such as W -= lr·dW inside the backward, or x += … on an input), or returns a view of them, or a buffer it "
    "overwrites on its next call, as a gradient. A check perturbs one entry at a time and compares; code that moves "
    "the point or reuses its output buffer makes every later number wrong, and in training it silently corrupts "
    "the weights. gradcheck detects it by comparing the arrays before and after each call, reports it, and still "
    "checks the gradient on a clean copy. Return new arrays, and update parameters only in the optimizer step.",
    Kind.NOISY_LOSS: "The loss gives different values at the same point: it is not deterministic (dropout without a "
    "fixed mask, a random mini-batch per call, an unseeded generator). A finite difference divides a change of "
    "size h·g by h; noise of size s adds s/h to it, which for the tiny steps a check needs swamps the gradient. "
    "gradcheck evaluates the point twice, and when the difference is large against the changes being measured it "
    "refuses to give a verdict. Fix the randomness for the check: a fixed mask and batch, or a seeded generator "
    "created inside the loss.",
    Kind.INCONCLUSIVE: "No entry of the gradient stands out from the error of its numerical derivative: every "
    "value the check measured is as small as the uncertainty it was measured with, so agreement cannot be certified "
    "(nor disagreement shown). It happens where the gradient is tiny (saturated sigmoid or tanh units, σ'(z) ≈ 0), "
    "where the loss is computed in low precision (float32 inside: each value carries rounding of about 1e-7 of the "
    "loss, and a central difference divides it by the step), or where the gradient is exactly 0. It is neither ok nor "
    "wrong: report.ok stays true, and strict checks (assert_gradients(strict=True), gradcheck run --strict) count "
    "it as a failure. What decides it: a smaller numerical error (float64 parameters, method='complex-step' for a "
    "complex-analytic loss) or a point where the gradient is larger.",
}


KINDS: tuple[str, ...] = tuple(kind.value for kind in Kind)


# What a wrong parameter's residual d = analytic − numerical was found to be (``detail["hypothesis"]``), and across
# parameters, where the error enters (``Report.diagnosis``). Each is a finding about the evidence, with the rule.
HYPOTHESES: dict[str, str] = {
    "proportional-to-param": "d = c·θ in every entry: the analytic gradient differs from the true one by a multiple "
    "of the parameter itself, the signature of a regularization term (detail['coefficient'] is c). c > 0: the "
    "backward adds c·θ that the loss does not have (for ½λ‖θ‖² the gradient is λθ; 2λθ belongs to λ‖θ‖²; or the "
    "term is in the gradient but not in the loss). c < 0: the backward lacks it (the term is missing from the "
    "gradient: add λθ with λ = −c, or its coefficient is too small).",
    "proportional-to-sign": "d = c·sign(θ) in every entry: the signature of an L1 term λ‖θ‖₁, whose gradient is "
    "λ·sign(θ) (detail['coefficient'] is c). c < 0 with |c| = 2λ: the term enters the gradient with the wrong sign; "
    "c = −λ: it is missing from the gradient; c > 0: the gradient has a term the loss does not.",
    "summed-over-all-axes": "Every entry of the analytic gradient holds one value, the sum of the true gradient over "
    "all its entries: a sum over every axis (db = dZ.sum()) broadcast into the parameter, where a sum over the batch "
    "axis alone is due (db = dZ.sum(axis=0)).",
    "masked": "d is nonzero only where the numerical gradient is 0 (the loss does not depend on those entries at this "
    "point) and every entry the loss depends on is right: the backward sends gradient where the forward sent none. "
    "The usual cause is a mask applied in the forward and left out of the backward: dZ = dA · (Z > 0) for a ReLU, "
    "dA · mask / p for inverted dropout, routing to the argmax only in max-pooling.",
    "wrong-indices": "The wrong entries hold the right values, each at another wrong entry's index: an indexing slip "
    "that writes values to the wrong rows, columns or entries (a swapped pair of indices, i and j exchanged, an "
    "offset by one).",
    "copy-of-other": "The parameter's gradient is, entry for entry, another parameter's (or its transpose), and that "
    "other parameter's gradient is right: either the gradients dict returns the other's gradient under this name "
    "(grads['b2'] = db1), or this gradient's formula lacks what sets it apart from the other's (dgamma = Σ dout "
    "where Σ dout·x̂ is due, which is dbeta's formula).",
    "not-scaling-with-upstream": "A layer's backward returns the same gradient when the upstream gradient dout is "
    "doubled: it ignores dout. A backward computes a vector–Jacobian product, linear in dout: for an activation, "
    "dx = dout * f'(x) (dZ = dout * (Z > 0) for a ReLU), not f'(x) alone. check_layer asks each wrong gradient "
    "again with 2·dout to tell.",
    "loss-derivative": "Every parameter is wrong, the last layer's bias too. A bias's gradient is the error at its "
    "layer's pre-activation summed over the batch, so for the output layer's bias that error, dL/dZ_out, is already "
    "wrong: look at the loss derivative (for softmax cross-entropy, dscores = p − onehot(y), divided by m when the "
    "loss is a mean) and at an output activation's derivative.",
}

TOPICS: dict[str, str] = {
    "trace": "When a check finds a wrong gradient and the loss and the gradient are Python functions, gradcheck "
             "runs them once more under a tracer (trace='auto'; trace=True always, trace=False never) and records "
             "every floating-point array bound to a local variable, in them and in the functions they call. A "
             "backward variable dX, d_X, grad_X or X_grad is paired with the forward variable X of its shape, "
             "occurrence by occurrence where a name is bound once per step of a loop (in reverse, as backpropagation "
             "runs a loop, or in the same order, as the first measurement bears out; otherwise it is left "
             "unpaired). For each pair the loss's slope along two random directions v is measured by running the "
             "loss with X + t·v put in place the moment X is bound, and compared with ⟨dX, v⟩: two loss "
             "evaluations per direction, four per pair. The "
             "first wrong intermediate in the order the backward computes them, after a right one, is where the "
             "error enters: its line, or the lines between the two when other variables were bound in between. "
             "JSON carries the table under 'trace'.",
}
FINDINGS: tuple[str, ...] = (*KINDS, *HYPOTHESES, *TOPICS)


def explanation(name: str) -> str:
    """The explanation of a kind, of a hypothesis about the residual, or of a topic (``trace``)."""
    if name in TOPICS:
        return TOPICS[name]
    return HYPOTHESES[name] if name in HYPOTHESES else Kind(name).explanation

