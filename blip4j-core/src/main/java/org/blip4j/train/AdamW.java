package org.blip4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.VoidTensorHook;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW written out as PyTorch 1.13's single-tensor {@code torch.optim.AdamW} (decoupled decay on the pre-update
 * value, eps added after the bias-corrected square root), with its state as named tensors so checkpoints can save it.
 *
 * <p>BLIP's train_*.py use one group over all parameters (decay also on biases and LayerNorm weights); pass a
 * {@code decay} predicate to exempt names, e.g. nanoGPT's "only tensors with ≥ 2 dimensions".
 */
public final class AdamW {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>();
    private final Map<String, Tensor> expAvgSq = new LinkedHashMap<>();
    private final Predicate<String> decay;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private double lr;
    private final Map<String, Double> lrScale = new LinkedHashMap<>(); // parameters whose lr is lr × scale
    private long step;
    private Map<String, Integer> hooks; // fused update: the hook handle of each parameter
    private List<String> pending; // fused update in progress: parameters not yet updated this step
    private String nonFinite;
    private int peakHeld; // most gradients found stored at once by one scan (the fused update's memory, for tests)

    public AdamW(
            Map<String, Tensor> params,
            double lr,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            Predicate<String> decay) {
        this.params = new LinkedHashMap<>(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decay = decay;
        try (NoGradGuard g = new NoGradGuard()) {
            for (var e : this.params.entrySet()) {
                expAvg.put(e.getKey(), retained(torch.zeros_like(e.getValue())));
                expAvgSq.put(e.getKey(), retained(torch.zeros_like(e.getValue())));
            }
        }
    }

    /** BLIP's setting: betas (0.9, 0.999), eps 1e-8, weight decay on every parameter. */
    public static AdamW blip(Map<String, Tensor> params, double lr, double weightDecay) {
        return new AdamW(params, lr, 0.9, 0.999, 1e-8, weightDecay, name -> true);
    }

    private static Tensor retained(Tensor t) {
        t.retainReference();
        return t;
    }

    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    /**
     * Multiplies the learning rate (and so the decoupled weight decay, as a PyTorch parameter group with its own lr
     * would) of the parameters whose names start with {@code prefix} by {@code scale}, e.g. a lower rate for a ViT
     * trained before. Applies to every later update, plain or fused into backward.
     */
    public AdamW scaleLearningRate(String prefix, double scale) {
        if (!(scale > 0)) {
            throw new IllegalArgumentException(
                    "learning-rate scale must be > 0 (freeze a parameter instead), got " + scale);
        }
        params.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(k -> lrScale.put(k, scale));
        return this;
    }

    public double learningRate() {
        return lr;
    }

    public long stepCount() {
        return step;
    }

    /** Clears every gradient (sets it to zero in place, as {@code zero_grad(set_to_none=False)}). */
    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensor g = p.grad();
            if (g.defined()) {
                g.detach_();
                g.zero_();
            }
        }
    }

    /** One update of every parameter that has a gradient. */
    public void step() {
        step++;
        try (NoGradGuard g = new NoGradGuard()) {
            for (var e : params.entrySet()) {
                // one scope per parameter: its temporaries (denominator) go before the next, not one model-sized set at
                // the end
                try (PointerScope s = new PointerScope()) {
                    Tensor grad = e.getValue().grad();
                    if (grad.defined()) {
                        update(e.getKey(), e.getValue(), grad);
                    }
                }
            }
        }
    }

    /** The update of one parameter from its gradient, at the current step count. */
    private void update(String name, Tensor p, Tensor grad) {
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        double lr = this.lr * lrScale.getOrDefault(name, 1.0);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        if (decay.test(name) && weightDecay != 0) {
            p.mul_(T.s(1 - lr * weightDecay));
        }
        Tensor m = expAvg.get(name);
        Tensor v = expAvgSq.get(name);
        m.mul_(T.s(beta1)).add_(grad, T.s(1 - beta1));
        v.mul_(T.s(beta2)).addcmul_(grad, grad, T.s(1 - beta2));
        Tensor denom = v.sqrt().div(T.s(bc2Sqrt)).add_(T.s(eps));
        p.addcdiv_(m, denom, T.s(-stepSize));
    }

    /**
     * Starts an update fused into the backward pass (PyTorch's "optimizer step in backward" recipe): until
     * {@link #finishBackwardStep()}, each parameter is updated as soon as its gradient is complete and that gradient
     * is dropped at once, so the model-sized set of gradients never exists (the training step's memory floor falls
     * from parameters + gradients + two moments to parameters + two moments). The arithmetic is that of
     * {@link #step()}, parameter by parameter, so the weights are bit-identical; what is lost is any look at all
     * gradients together (accumulation over batches, averaging over ranks, clipping), which callers must not combine
     * with it. Every gradient is checked to be finite before its update; the first that is not stops all further
     * updates and {@link #finishBackwardStep()} reports it (the parameters updated before it are already changed).
     *
     * <p>Hooks stay on the parameters from the first call until {@link #detachFromBackward()}; the gradients are
     * cleared here, so none from an earlier step is mistaken for a fresh one.
     */
    public void beginBackwardStep() {
        if (hooks == null) {
            hooks = new LinkedHashMap<>();
            for (var e : params.entrySet()) {
                if (e.getValue().requires_grad()) { // a frozen tensor gets no gradient and no update, as in step()
                    hooks.put(e.getKey(), e.getValue().register_hook(FusedStep.HOOK));
                }
            }
        }
        for (Tensor p : params.values()) {
            p.mutable_grad().reset();
        }
        step++;
        pending = new ArrayList<>(params.keySet());
        nonFinite = null;
        FusedStep.ACTIVE.set(this);
    }

    /**
     * Ends the fused update begun by {@link #beginBackwardStep()}: updates the parameters whose gradients completed
     * last and drops their gradients.
     *
     * @return the name of the first parameter whose gradient was not finite (nothing after it was updated), or null
     */
    public String finishBackwardStep() {
        FusedStep.ACTIVE.remove();
        if (pending == null) {
            throw new IllegalStateException("finishBackwardStep without beginBackwardStep");
        }
        updateCompleted();
        pending = null;
        return nonFinite;
    }

    /** Removes the hooks {@link #beginBackwardStep()} placed on the parameters. */
    public void detachFromBackward() {
        if (hooks != null) {
            for (var e : hooks.entrySet()) {
                params.get(e.getKey()).remove_hook(e.getValue());
            }
            hooks = null;
        }
    }

    /** Updates every pending parameter whose gradient autograd has stored since the step began, then drops it. */
    private void updateCompleted() {
        int held = 0;
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = pending.size() - 1; i >= 0; i--) {
                String name = pending.get(i);
                Tensor p = params.get(name);
                try (PointerScope s = new PointerScope()) {
                    Tensor grad = p.mutable_grad();
                    if (!grad.defined()) {
                        continue;
                    }
                    held++;
                    pending.set(i, pending.get(pending.size() - 1));
                    pending.remove(pending.size() - 1);
                    if (nonFinite == null && !torch.isfinite(grad).all().item_bool()) {
                        nonFinite = name;
                    }
                    if (nonFinite == null) {
                        update(name, p, grad);
                    }
                    grad.reset();
                }
            }
        }
        peakHeld = Math.max(peakHeld, held);
    }

    /** The most gradients a fused update found stored at once (1–2 when each is dropped as the next arrives). */
    int peakGradientsHeld() {
        return peakHeld;
    }

    /**
     * The one tensor hook of the process (JavaCPP has few callback slots): it runs on the thread that called backward,
     * just before autograd stores a parameter's gradient, so every parameter whose gradient is stored by then is
     * complete and can be updated.
     */
    private static final class FusedStep extends VoidTensorHook {
        static final ThreadLocal<AdamW> ACTIVE = new ThreadLocal<>();
        static final FusedStep HOOK = new FusedStep();

        static {
            HOOK.retainReference();
        }

        @Override
        public void call(TensorBase grad) {
            grad.close(); // JavaCPP hands the hook its own copy, kept by the caller's PointerScope: release it now
            AdamW a = ACTIVE.get();
            if (a == null || a.pending == null) {
                return;
            }
            try {
                a.updateCompleted();
            } catch (RuntimeException e) { // never throw into native code: report at finishBackwardStep
                if (a.nonFinite == null) {
                    a.nonFinite = "(update failed: " + e.getMessage() + ")";
                }
            }
        }
    }

    /** Optimiser state for checkpoints: {@code <name>.exp_avg}, {@code <name>.exp_avg_sq}. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String k : params.keySet()) {
            out.put(k + ".exp_avg", expAvg.get(k));
            out.put(k + ".exp_avg_sq", expAvgSq.get(k));
        }
        return out;
    }

    /** Restores the state written by {@link #state()} and the step count. */
    public void load(Map<String, Tensor> state, long steps) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (String k : params.keySet()) {
                expAvg.get(k).copy_(state.get(k + ".exp_avg"));
                expAvgSq.get(k).copy_(state.get(k + ".exp_avg_sq"));
            }
        }
        this.step = steps;
    }

    /** Names of the optimised parameters. */
    public List<String> names() {
        return new ArrayList<>(params.keySet());
    }
}
