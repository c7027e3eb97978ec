using RegionClip.Torch.Native;

namespace RegionClip.Torch;

public partial class Tensor
{
    // ---- plumbing for the op-code families -------------------------------------------------

    internal Tensor Unary(UnaryOp op, string name)
    {
        Check.Ok(NativeMethods.rc_unary((int)op, Handle, out var o), name, this);
        return Wrap(o);
    }

    internal Tensor Unary_(UnaryOp op, string name)
    {
        Check.Ok(NativeMethods.rc_unary_((int)op, Handle), name, this);
        return this;
    }

    internal Tensor Binary(BinaryOp op, Tensor other, string name)
    {
        Check.Ok(NativeMethods.rc_binary((int)op, Handle, other.Handle, out var o), name, this, other);
        return Wrap(o);
    }

    internal Tensor Binary_(BinaryOp op, Tensor other, string name)
    {
        Check.Ok(NativeMethods.rc_binary_((int)op, Handle, other.Handle), name, this, other);
        return this;
    }

    internal Tensor Binary(BinaryOp op, Scalar other, string name)
    {
        Check.Ok(NativeMethods.rc_binary_scalar((int)op, Handle, other.Native, out var o), name, this);
        return Wrap(o);
    }

    internal Tensor Binary_(BinaryOp op, Scalar other, string name)
    {
        Check.Ok(NativeMethods.rc_binary_scalar_((int)op, Handle, other.Native), name, this);
        return this;
    }

    // ---- unary -------------------------------------------------------------------------------

    public Tensor neg() => Unary(UnaryOp.Neg, "torch.neg");
    public Tensor abs() => Unary(UnaryOp.Abs, "torch.abs");
    public Tensor exp() => Unary(UnaryOp.Exp, "torch.exp");
    public Tensor log() => Unary(UnaryOp.Log, "torch.log");
    public Tensor log2() => Unary(UnaryOp.Log2, "torch.log2");
    public Tensor log1p() => Unary(UnaryOp.Log1p, "torch.log1p");
    public Tensor expm1() => Unary(UnaryOp.Expm1, "torch.expm1");
    public Tensor sqrt() => Unary(UnaryOp.Sqrt, "torch.sqrt");
    public Tensor rsqrt() => Unary(UnaryOp.Rsqrt, "torch.rsqrt");
    public Tensor sin() => Unary(UnaryOp.Sin, "torch.sin");
    public Tensor cos() => Unary(UnaryOp.Cos, "torch.cos");
    public Tensor atan() => Unary(UnaryOp.Atan, "torch.atan");
    public Tensor tanh() => Unary(UnaryOp.Tanh, "torch.tanh");
    public Tensor sigmoid() => Unary(UnaryOp.Sigmoid, "torch.sigmoid");
    public Tensor relu() => Unary(UnaryOp.Relu, "torch.relu");
    public Tensor floor() => Unary(UnaryOp.Floor, "torch.floor");
    public Tensor ceil() => Unary(UnaryOp.Ceil, "torch.ceil");
    public Tensor round() => Unary(UnaryOp.Round, "torch.round");
    public Tensor trunc() => Unary(UnaryOp.Trunc, "torch.trunc");
    public Tensor sign() => Unary(UnaryOp.Sign, "torch.sign");
    public Tensor reciprocal() => Unary(UnaryOp.Reciprocal, "torch.reciprocal");
    public Tensor logical_not() => Unary(UnaryOp.LogicalNot, "torch.logical_not");
    public Tensor square() => Unary(UnaryOp.Square, "torch.square");
    public Tensor erf() => Unary(UnaryOp.Erf, "torch.erf");
    public Tensor isnan() => Unary(UnaryOp.IsNan, "torch.isnan");
    public Tensor isinf() => Unary(UnaryOp.IsInf, "torch.isinf");
    public Tensor isfinite() => Unary(UnaryOp.IsFinite, "torch.isfinite");

    public Tensor neg_() => Unary_(UnaryOp.Neg, "Tensor.neg_");
    public Tensor abs_() => Unary_(UnaryOp.Abs, "Tensor.abs_");
    public Tensor exp_() => Unary_(UnaryOp.Exp, "Tensor.exp_");
    public Tensor log_() => Unary_(UnaryOp.Log, "Tensor.log_");
    public Tensor sqrt_() => Unary_(UnaryOp.Sqrt, "Tensor.sqrt_");
    public Tensor sigmoid_() => Unary_(UnaryOp.Sigmoid, "Tensor.sigmoid_");
    public Tensor relu_() => Unary_(UnaryOp.Relu, "Tensor.relu_");
    public Tensor floor_() => Unary_(UnaryOp.Floor, "Tensor.floor_");
    public Tensor round_() => Unary_(UnaryOp.Round, "Tensor.round_");
    public Tensor reciprocal_() => Unary_(UnaryOp.Reciprocal, "Tensor.reciprocal_");

    // ---- binary ------------------------------------------------------------------------------

    public Tensor add(Tensor other) => Binary(BinaryOp.Add, other, "torch.add");
    public Tensor add(Tensor other, Scalar alpha)
    {
        Check.Ok(NativeMethods.rc_tensor_add_scaled(Handle, other.Handle, alpha.Native, 0, out var o), "torch.add", this, other);
        return Wrap(o);
    }
    public Tensor add(Scalar other) => Binary(BinaryOp.Add, other, "torch.add");
    public Tensor sub(Tensor other) => Binary(BinaryOp.Sub, other, "torch.sub");
    public Tensor sub(Scalar other) => Binary(BinaryOp.Sub, other, "torch.sub");
    public Tensor mul(Tensor other) => Binary(BinaryOp.Mul, other, "torch.mul");
    public Tensor mul(Scalar other) => Binary(BinaryOp.Mul, other, "torch.mul");
    public Tensor div(Tensor other) => Binary(BinaryOp.Div, other, "torch.div");
    public Tensor div(Scalar other) => Binary(BinaryOp.Div, other, "torch.div");
    public Tensor floor_divide(Tensor other) => Binary(BinaryOp.FloorDiv, other, "torch.floor_divide");
    public Tensor floor_divide(Scalar other) => Binary(BinaryOp.FloorDiv, other, "torch.floor_divide");
    public Tensor pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent, "torch.pow");
    public Tensor pow(Scalar exponent) => Binary(BinaryOp.Pow, exponent, "torch.pow");
    public Tensor remainder(Tensor other) => Binary(BinaryOp.Remainder, other, "torch.remainder");
    public Tensor remainder(Scalar other) => Binary(BinaryOp.Remainder, other, "torch.remainder");
    public Tensor fmod(Scalar other) => Binary(BinaryOp.Fmod, other, "torch.fmod");
    public Tensor maximum(Tensor other) => Binary(BinaryOp.Maximum, other, "torch.maximum");
    public Tensor minimum(Tensor other) => Binary(BinaryOp.Minimum, other, "torch.minimum");
    public Tensor atan2(Tensor other) => Binary(BinaryOp.Atan2, other, "torch.atan2");
    public Tensor clamp_min(Scalar min) => Binary(BinaryOp.Maximum, min, "torch.clamp_min");
    public Tensor clamp_max(Scalar max) => Binary(BinaryOp.Minimum, max, "torch.clamp_max");

    public Tensor eq(Tensor other) => Binary(BinaryOp.Eq, other, "torch.eq");
    public Tensor eq(Scalar other) => Binary(BinaryOp.Eq, other, "torch.eq");
    public Tensor ne(Tensor other) => Binary(BinaryOp.Ne, other, "torch.ne");
    public Tensor ne(Scalar other) => Binary(BinaryOp.Ne, other, "torch.ne");
    public Tensor lt(Tensor other) => Binary(BinaryOp.Lt, other, "torch.lt");
    public Tensor lt(Scalar other) => Binary(BinaryOp.Lt, other, "torch.lt");
    public Tensor le(Tensor other) => Binary(BinaryOp.Le, other, "torch.le");
    public Tensor le(Scalar other) => Binary(BinaryOp.Le, other, "torch.le");
    public Tensor gt(Tensor other) => Binary(BinaryOp.Gt, other, "torch.gt");
    public Tensor gt(Scalar other) => Binary(BinaryOp.Gt, other, "torch.gt");
    public Tensor ge(Tensor other) => Binary(BinaryOp.Ge, other, "torch.ge");
    public Tensor ge(Scalar other) => Binary(BinaryOp.Ge, other, "torch.ge");
    public Tensor logical_and(Tensor other) => Binary(BinaryOp.LogicalAnd, other, "torch.logical_and");
    public Tensor logical_or(Tensor other) => Binary(BinaryOp.LogicalOr, other, "torch.logical_or");
    public Tensor logical_xor(Tensor other) => Binary(BinaryOp.LogicalXor, other, "torch.logical_xor");

    public Tensor matmul(Tensor other) => Binary(BinaryOp.Matmul, other, "torch.matmul");
    public Tensor mm(Tensor other) => Binary(BinaryOp.Mm, other, "torch.mm");
    public Tensor bmm(Tensor other) => Binary(BinaryOp.Bmm, other, "torch.bmm");
    public Tensor outer(Tensor other) => Binary(BinaryOp.Outer, other, "torch.outer");

    public Tensor add_(Tensor other) => Binary_(BinaryOp.Add, other, "Tensor.add_");
    public Tensor add_(Tensor other, Scalar alpha)
    {
        Check.Ok(NativeMethods.rc_tensor_add_scaled(Handle, other.Handle, alpha.Native, 1, out _), "Tensor.add_", this, other);
        return this;
    }
    public Tensor add_(Scalar other) => Binary_(BinaryOp.Add, other, "Tensor.add_");
    public Tensor sub_(Tensor other) => Binary_(BinaryOp.Sub, other, "Tensor.sub_");
    public Tensor sub_(Scalar other) => Binary_(BinaryOp.Sub, other, "Tensor.sub_");
    public Tensor mul_(Tensor other) => Binary_(BinaryOp.Mul, other, "Tensor.mul_");
    public Tensor mul_(Scalar other) => Binary_(BinaryOp.Mul, other, "Tensor.mul_");
    public Tensor div_(Tensor other) => Binary_(BinaryOp.Div, other, "Tensor.div_");
    public Tensor div_(Scalar other) => Binary_(BinaryOp.Div, other, "Tensor.div_");
    public Tensor pow_(Scalar other) => Binary_(BinaryOp.Pow, other, "Tensor.pow_");
    public Tensor clamp_min_(Scalar min) => Binary_(BinaryOp.Maximum, min, "Tensor.clamp_min_");
    public Tensor clamp_max_(Scalar max) => Binary_(BinaryOp.Minimum, max, "Tensor.clamp_max_");

    public Tensor addcmul_(Tensor t1, Tensor t2, Scalar value)
    {
        Check.Ok(NativeMethods.rc_tensor_addcmul_(Handle, t1.Handle, t2.Handle, value.Native), "Tensor.addcmul_", this, t1, t2);
        return this;
    }

    public Tensor addcdiv_(Tensor t1, Tensor t2, Scalar value)
    {
        Check.Ok(NativeMethods.rc_tensor_addcdiv_(Handle, t1.Handle, t2.Handle, value.Native), "Tensor.addcdiv_", this, t1, t2);
        return this;
    }

    public Tensor lerp_(Tensor end, Scalar weight)
    {
        Check.Ok(NativeMethods.rc_tensor_lerp_(Handle, end.Handle, weight.Native), "Tensor.lerp_", this, end);
        return this;
    }

    public Tensor clamp(Scalar? min = null, Scalar? max = null) => Clamp(min, max, inplace: false, "torch.clamp");
    public Tensor clamp_(Scalar? min = null, Scalar? max = null) => Clamp(min, max, inplace: true, "Tensor.clamp_");

    private Tensor Clamp(Scalar? min, Scalar? max, bool inplace, string name)
    {
        Check.Ok(NativeMethods.rc_tensor_clamp(Handle, (min ?? 0).Native, min.HasValue ? 1 : 0, (max ?? 0).Native, max.HasValue ? 1 : 0,
            inplace ? 1 : 0, out var o), name, this);
        return inplace ? this : Wrap(o);
    }

    public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        Check.Ok(NativeMethods.rc_tensor_allclose(Handle, other.Handle, rtol, atol, out var v), "torch.allclose", this, other);
        return v != 0;
    }

    /// <summary>True when shapes and every element are equal (torch.equal).</summary>
    public bool equal(Tensor other)
    {
        Check.Ok(NativeMethods.rc_tensor_equal(Handle, other.Handle, out var v), "torch.equal", this, other);
        return v != 0;
    }

    // ---- operators (== and != keep reference semantics; use eq/ne) --------------------------

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, Scalar b) => a.add(b);
    public static Tensor operator +(Scalar a, Tensor b) => b.add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, Scalar b) => a.sub(b);
    public static Tensor operator -(Scalar a, Tensor b) => b.Binary(BinaryOp.RSub, a, "torch.rsub");
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, Scalar b) => a.mul(b);
    public static Tensor operator *(Scalar a, Tensor b) => b.mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, Scalar b) => a.div(b);
    public static Tensor operator /(Scalar a, Tensor b) => b.Binary(BinaryOp.RDiv, a, "torch.div");
    public static Tensor operator %(Tensor a, Tensor b) => a.remainder(b);
    public static Tensor operator %(Tensor a, Scalar b) => a.remainder(b);
    public static Tensor operator -(Tensor a) => a.neg();
    public static Tensor operator ~(Tensor a) => a.logical_not();
    public static Tensor operator &(Tensor a, Tensor b) => a.Binary(BinaryOp.BitwiseAnd, b, "torch.bitwise_and");
    public static Tensor operator |(Tensor a, Tensor b) => a.Binary(BinaryOp.BitwiseOr, b, "torch.bitwise_or");
    public static Tensor operator ^(Tensor a, Tensor b) => a.Binary(BinaryOp.BitwiseXor, b, "torch.bitwise_xor");
    public static Tensor operator <(Tensor a, Tensor b) => a.lt(b);
    public static Tensor operator >(Tensor a, Tensor b) => a.gt(b);
    public static Tensor operator <=(Tensor a, Tensor b) => a.le(b);
    public static Tensor operator >=(Tensor a, Tensor b) => a.ge(b);
    public static Tensor operator <(Tensor a, Scalar b) => a.lt(b);
    public static Tensor operator >(Tensor a, Scalar b) => a.gt(b);
    public static Tensor operator <=(Tensor a, Scalar b) => a.le(b);
    public static Tensor operator >=(Tensor a, Scalar b) => a.ge(b);

    // ---- reductions --------------------------------------------------------------------------

    internal unsafe Tensor Reduce(ReduceOp op, ReadOnlySpan<long> dims, bool keepdim, string name, long correction = 1)
    {
        IntPtr o;
        fixed (long* d = dims)
            Check.Ok(NativeMethods.rc_reduce((int)op, Handle, d, dims.Length, keepdim ? 1 : 0, correction, out o), name, this);
        return Wrap(o);
    }

    public Tensor sum() => Reduce(ReduceOp.Sum, default, false, "torch.sum");
    public Tensor sum(long dim, bool keepdim = false) => Reduce(ReduceOp.Sum, [dim], keepdim, "torch.sum");
    public Tensor sum(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Sum, dims, keepdim, "torch.sum");
    public Tensor mean() => Reduce(ReduceOp.Mean, default, false, "torch.mean");
    public Tensor mean(long dim, bool keepdim = false) => Reduce(ReduceOp.Mean, [dim], keepdim, "torch.mean");
    public Tensor mean(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Mean, dims, keepdim, "torch.mean");
    public Tensor prod() => Reduce(ReduceOp.Prod, default, false, "torch.prod");
    public Tensor prod(long dim, bool keepdim = false) => Reduce(ReduceOp.Prod, [dim], keepdim, "torch.prod");
    public Tensor amax(long dim, bool keepdim = false) => Reduce(ReduceOp.Amax, [dim], keepdim, "torch.amax");
    public Tensor amax(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Amax, dims, keepdim, "torch.amax");
    public Tensor amin(long dim, bool keepdim = false) => Reduce(ReduceOp.Amin, [dim], keepdim, "torch.amin");
    public Tensor amin(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Amin, dims, keepdim, "torch.amin");
    public Tensor logsumexp(long dim, bool keepdim = false) => Reduce(ReduceOp.LogSumExp, [dim], keepdim, "torch.logsumexp");
    public Tensor logsumexp(long[] dims, bool keepdim = false) => Reduce(ReduceOp.LogSumExp, dims, keepdim, "torch.logsumexp");
    public Tensor std(bool unbiased = true) => Reduce(ReduceOp.Std, default, false, "torch.std", unbiased ? 1 : 0);
    public Tensor std(long dim, bool unbiased = true, bool keepdim = false) => Reduce(ReduceOp.Std, [dim], keepdim, "torch.std", unbiased ? 1 : 0);
    public Tensor std(long[] dims, bool unbiased = true, bool keepdim = false) => Reduce(ReduceOp.Std, dims, keepdim, "torch.std", unbiased ? 1 : 0);
    public Tensor var(bool unbiased = true) => Reduce(ReduceOp.Var, default, false, "torch.var", unbiased ? 1 : 0);
    public Tensor var(long dim, bool unbiased = true, bool keepdim = false) => Reduce(ReduceOp.Var, [dim], keepdim, "torch.var", unbiased ? 1 : 0);
    public Tensor var(long[] dims, bool unbiased = true, bool keepdim = false) => Reduce(ReduceOp.Var, dims, keepdim, "torch.var", unbiased ? 1 : 0);
    public Tensor all() => Reduce(ReduceOp.All, default, false, "torch.all");
    public Tensor all(long dim, bool keepdim = false) => Reduce(ReduceOp.All, [dim], keepdim, "torch.all");
    public Tensor any() => Reduce(ReduceOp.Any, default, false, "torch.any");
    public Tensor any(long dim, bool keepdim = false) => Reduce(ReduceOp.Any, [dim], keepdim, "torch.any");
    public Tensor count_nonzero() => Reduce(ReduceOp.CountNonzero, default, false, "torch.count_nonzero");

    public unsafe Tensor norm(double p = 2, long[]? dims = null, bool keepdim = false)
    {
        var d = dims ?? [];
        IntPtr o;
        fixed (long* pd = d)
            Check.Ok(NativeMethods.rc_tensor_norm(Handle, p, pd, d.Length, keepdim ? 1 : 0, out o), "torch.norm", this);
        return Wrap(o);
    }

    public Tensor max()
    {
        Check.Ok(NativeMethods.rc_tensor_max_all(Handle, 0, out var o), "torch.max", this);
        return Wrap(o);
    }

    public Tensor min()
    {
        Check.Ok(NativeMethods.rc_tensor_max_all(Handle, 1, out var o), "torch.min", this);
        return Wrap(o);
    }

    public (Tensor values, Tensor indices) max(long dim, bool keepdim = false)
    {
        Check.Ok(NativeMethods.rc_tensor_max_dim(Handle, dim, keepdim ? 1 : 0, 0, out var v, out var i), "torch.max", this);
        return (Wrap(v), Wrap(i));
    }

    public (Tensor values, Tensor indices) min(long dim, bool keepdim = false)
    {
        Check.Ok(NativeMethods.rc_tensor_max_dim(Handle, dim, keepdim ? 1 : 0, 1, out var v, out var i), "torch.min", this);
        return (Wrap(v), Wrap(i));
    }

    public Tensor argmax(long? dim = null, bool keepdim = false)
    {
        Check.Ok(NativeMethods.rc_tensor_argmax(Handle, dim ?? 0, dim.HasValue ? 1 : 0, keepdim ? 1 : 0, 0, out var o), "torch.argmax", this);
        return Wrap(o);
    }

    public Tensor argmin(long? dim = null, bool keepdim = false)
    {
        Check.Ok(NativeMethods.rc_tensor_argmax(Handle, dim ?? 0, dim.HasValue ? 1 : 0, keepdim ? 1 : 0, 1, out var o), "torch.argmin", this);
        return Wrap(o);
    }

    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false, bool stable = false)
    {
        Check.Ok(NativeMethods.rc_tensor_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, out var v, out var i), "torch.sort", this);
        return (Wrap(v), Wrap(i));
    }

    public Tensor argsort(long dim = -1, bool descending = false, bool stable = false)
    {
        var (values, indices) = sort(dim, descending, stable);
        values.Dispose();
        return indices;
    }

    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Check.Ok(NativeMethods.rc_tensor_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var v, out var i), "torch.topk", this);
        return (Wrap(v), Wrap(i));
    }

    public Tensor cumsum(long dim)
    {
        Check.Ok(NativeMethods.rc_tensor_cumsum(Handle, dim, 0, out var o), "torch.cumsum", this);
        return Wrap(o);
    }

    public Tensor cumprod(long dim)
    {
        Check.Ok(NativeMethods.rc_tensor_cumsum(Handle, dim, 1, out var o), "torch.cumprod", this);
        return Wrap(o);
    }
}
