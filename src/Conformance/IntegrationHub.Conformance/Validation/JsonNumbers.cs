using System.Globalization;
using System.Text;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// JSON numbers as written, read exactly as decimal numbers: no rounding to a double or a decimal, and exponents of any
/// length, since JSON sets no limit to them (RFC 8259 §6). 1e-4294967206 is a tiny number and 1e4294967296 a huge one;
/// JsonSchema.Net read exponents into an int that wrapped, so that it judged the first above 90 and the second below.
/// The work is linear in the literal's length: a long exponent is added up digit by digit, never parsed into a
/// BigInteger (which takes seconds for a million digits).
/// </summary>
internal static class JsonNumbers
{
    /// <summary>Orders two JSON number literals (RFC 8259 §6 syntax, which the parser has checked) by value.</summary>
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var x = new Number(a);
        var y = new Number(b);
        if (x.IsZero || y.IsZero)
        {
            return x.IsZero && y.IsZero ? 0 : x.IsZero ? (y.Negative ? 1 : -1) : (x.Negative ? -1 : 1);
        }
        if (x.Negative != y.Negative)
        {
            return x.Negative ? -1 : 1;
        }
        var sign = x.Negative ? -1 : 1;
        var exponents = Number.CompareExponents(x, y);
        if (exponents != 0)
        {
            return exponents * sign;
        }
        var xLength = x.Last - x.First + 1;
        var yLength = y.Last - y.First + 1;
        for (var i = 0; i < Math.Min(xLength, yLength); i++)
        {
            var dx = x.Digit(x.First + i);
            var dy = y.Digit(y.First + i);
            if (dx != dy)
            {
                return dx < dy ? -sign : sign;
            }
        }
        return xLength == yLength ? 0 : xLength < yLength ? -sign : sign;
    }

    /// <summary>
    /// Appends a key that two literals share exactly when they are equal as numbers: the sign, the significant digits
    /// and the exponent of the first of them (1, 1.0, 10e-1 and 0.1e1 all give <c>n1e0;</c>).
    /// </summary>
    public static void AppendKey(ReadOnlySpan<byte> raw, StringBuilder key)
    {
        var number = new Number(raw);
        if (number.IsZero)
        {
            key.Append("n0;");
            return;
        }
        key.Append('n').Append(number.Negative ? "-" : "");
        for (var i = number.First; i <= number.Last; i++)
        {
            key.Append((char)number.Digit(i));
        }
        var (negative, digits) = number.ExactExponent();
        key.Append('e').Append(negative ? "-" : "").Append(Encoding.ASCII.GetString(digits)).Append(';');
    }

    /// <summary>
    /// A literal as its digits (integer part, then fraction), the first and last significant ones among them, and the
    /// decimal exponent of the first: 120.5e1 has digits 1205, first 0, last 3, exponent 3.
    /// </summary>
    private readonly ref struct Number
    {
        /// <summary>Exponents of up to this many digits are read into a long; longer ones are kept as their digits.</summary>
        private const int LongDigits = 18;

        private readonly ReadOnlySpan<byte> _integer;
        private readonly ReadOnlySpan<byte> _fraction;

        /// <summary>The written exponent's digits without leading zeros, when they are too many for a long.</summary>
        private readonly ReadOnlySpan<byte> _longExponent;
        private readonly bool _longExponentNegative;

        /// <summary>The exponent of the first significant digit when the written exponent is 0: 120.5 has 2, 0.05 has -2.</summary>
        private readonly long _shift;

        public Number(ReadOnlySpan<byte> raw)
        {
            Negative = raw[0] == (byte)'-';
            var body = Negative ? raw[1..] : raw;
            var e = body.IndexOfAny((byte)'e', (byte)'E');
            var mantissa = e < 0 ? body : body[..e];
            var dot = mantissa.IndexOf((byte)'.');
            _integer = dot < 0 ? mantissa : mantissa[..dot];
            _fraction = dot < 0 ? [] : mantissa[(dot + 1)..];
            First = -1;
            Last = -1;
            var length = _integer.Length + _fraction.Length;
            for (var i = 0; i < length; i++)
            {
                if (Digit(i) != '0')
                {
                    First = First < 0 ? i : First;
                    Last = i;
                }
            }
            _shift = (long)_integer.Length - 1 - First;

            var written = 0L;
            if (e >= 0)
            {
                var digits = body[(e + 1)..];
                var negative = digits[0] == (byte)'-';
                digits = digits[0] is (byte)'-' or (byte)'+' ? digits[1..] : digits;
                var leadingZeros = digits.IndexOfAnyExcept((byte)'0');
                digits = leadingZeros < 0 ? [] : digits[leadingZeros..];
                if (digits.Length > LongDigits)
                {
                    _longExponent = digits;
                    _longExponentNegative = negative;
                }
                else
                {
                    foreach (var digit in digits)
                    {
                        written = written * 10 + (digit - '0');
                    }
                    written = negative ? -written : written;
                }
            }
            Exponent = _longExponent.IsEmpty ? written + _shift : 0;
        }

        public bool Negative { get; }
        public int First { get; }
        public int Last { get; }
        public bool IsZero => First < 0;

        /// <summary>The exponent of the first significant digit, when the written exponent fits a long.</summary>
        private long Exponent { get; }

        public byte Digit(int index) => index < _integer.Length ? _integer[index] : _fraction[index - _integer.Length];

        public static int CompareExponents(in Number x, in Number y)
        {
            if (x._longExponent.IsEmpty && y._longExponent.IsEmpty)
            {
                return x.Exponent.CompareTo(y.Exponent);
            }
            var (xNegative, xDigits) = x.ExactExponent();
            var (yNegative, yDigits) = y.ExactExponent();
            if (xNegative != yNegative)
            {
                return xNegative ? -1 : 1;
            }
            var magnitude = xDigits.Length != yDigits.Length
                ? xDigits.Length.CompareTo(yDigits.Length)
                : Math.Sign(xDigits.AsSpan().SequenceCompareTo(yDigits));
            return xNegative ? -magnitude : magnitude;
        }

        /// <summary>The exponent of the first significant digit as its sign and decimal digits, whatever its length.</summary>
        public (bool Negative, byte[] Digits) ExactExponent()
        {
            if (_longExponent.IsEmpty)
            {
                return (Exponent < 0, Encoding.ASCII.GetBytes(Math.Abs(Exponent).ToString(CultureInfo.InvariantCulture)));
            }
            // The written exponent is at least 10^18 and the shift less than 2^31 in size: the sum keeps the exponent's sign.
            return (_longExponentNegative, AddSmall(_longExponent, _longExponentNegative ? -_shift : _shift));
        }

        /// <summary>Decimal digits (at least 10^18 as a number) plus a much smaller <paramref name="delta"/>, as digits.</summary>
        private static byte[] AddSmall(ReadOnlySpan<byte> digits, long delta)
        {
            var sum = new byte[digits.Length + 1];
            var carry = delta;
            for (var i = digits.Length - 1; i >= 0; i--)
            {
                var value = digits[i] - '0' + carry;
                var digit = ((value % 10) + 10) % 10;
                carry = (value - digit) / 10;
                sum[i + 1] = (byte)('0' + digit);
            }
            sum[0] = (byte)('0' + carry);
            var start = sum.AsSpan().IndexOfAnyExcept((byte)'0');
            return sum[start..];
        }
    }
}
