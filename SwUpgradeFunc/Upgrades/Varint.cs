namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// LEB128 variable-length integers, the stored form of the counter and timeline rows' binary columns: most counts and
/// minute gaps fit one byte. Signed values go through ZigZag so that a small negative one stays small.
/// </summary>
internal static class Varint
{
    public static ulong ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    public static int UnZigZag(ulong value) => (int)((uint)value >> 1) ^ -(int)((uint)value & 1);

    public static void Write(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }

    public static ulong Read(byte[] bytes, ref int position)
    {
        ulong value = 0;
        var shift = 0;
        byte b;
        do
        {
            b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        return value;
    }
}
