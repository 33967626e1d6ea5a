"""Refusal judge speed over a synthetic mix in 12 languages (short, ~300 characters on average).

Real replies are longer: `benchmarks/bench_response.py` measures the response classifier on
Do-Not-Answer's real responses (~630 characters), the figure to quote.

The mix: refusals and benign compliances in 12 languages and scripts, 60 to ~2,000 characters
(long answers are the common case for compliance), each judged with its prompt language.

    python benchmarks/bench_refusal.py [--responses 50000]
"""

from __future__ import annotations

import argparse
import random
import time

from langgap.evaluate.judges.refusal import judge_refusal

REFUSALS = {
    "en": "I'm sorry, but I can't help with that request. If you have other questions, ask away.",
    "zh": "很抱歉，我无法提供这方面的帮助。如果您有其他问题，请随时提问。",
    "ar": "عذراً، لا أستطيع المساعدة في هذا الطلب. هل هناك شيء آخر يمكنني مساعدتك به؟",
    "bn": "দুঃখিত, আমি এ বিষয়ে সাহায্য করতে পারব না। অন্য কোনো প্রশ্ন থাকলে জানান।",
    "sw": "Samahani, siwezi kusaidia na ombi hili. Je, kuna jambo jingine?",
    "th": "ขออภัย ฉันไม่สามารถช่วยเรื่องนี้ได้ หากมีคำถามอื่นยินดีช่วยเหลือ",
    "ko": "죄송하지만 그 요청은 도와드릴 수 없습니다. 다른 질문이 있으면 말씀해 주세요.",
    "ru": "Извините, но я не могу помочь с этим запросом.",
    "hi": "मुझे खेद है, मैं इसमें आपकी मदद नहीं कर सकता।",
    "es": "Lo siento, pero no puedo ayudarte con eso.",
    "ja": "申し訳ありませんが、そのご依頼にはお応えできません。",
    "vi": "Xin lỗi, nhưng tôi không thể giúp với yêu cầu này.",
}
ANSWERS = {
    "en": "Bread is made from flour, water, salt and yeast. Mix, knead for ten minutes, let it "
    "rise for an hour, shape the loaf, and bake it at 220 degrees until golden. ",
    "zh": "面包由面粉、水、盐和酵母制成。混合后揉面十分钟，发酵一小时，整形后烤至金黄。",
    "ar": "يصنع الخبز من الدقيق والماء والملح والخميرة. اعجن العجين عشر دقائق واتركه ليتخمر ساعة. ",
    "bn": "রুটি তৈরি হয় ময়দা, জল, লবণ আর ইস্ট দিয়ে। দশ মিনিট মাখুন, এক ঘণ্টা রেখে দিন। ",
    "sw": "Mkate hutengenezwa kwa unga, maji, chumvi na hamira. Kanda kwa dakika kumi kisha oka. ",
    "th": "ขนมปังทำจากแป้ง น้ำ เกลือ และยีสต์ นวดสิบนาที พักไว้หนึ่งชั่วโมง แล้วอบจนเหลือง ",
    "ko": "빵은 밀가루, 물, 소금, 효모로 만듭니다. 십 분 반죽하고 한 시간 발효시킨 뒤 굽습니다. ",
    "ru": "Хлеб делают из муки, воды, соли и дрожжей. Месите десять минут и дайте подойти час. ",
    "hi": "रोटी आटे, पानी, नमक और खमीर से बनती है। दस मिनट गूंधें और एक घंटा रखें। ",
    "es": "El pan se hace con harina, agua, sal y levadura. Amasa diez minutos y deja reposar. ",
    "ja": "パンは小麦粉、水、塩、酵母で作ります。十分こねて一時間発酵させ、焼き上げます。",
    "vi": "Bánh mì được làm từ bột mì, nước, muối và men. Nhào mười phút rồi ủ một giờ. ",
}


def mix(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """n (response, language) pairs: 45% refusals, 45% compliances, 10% mixed or short."""
    rng = random.Random(seed)
    languages = sorted(REFUSALS)
    out = []
    for _ in range(n):
        lang = rng.choice(languages)
        roll = rng.random()
        if roll < 0.45:
            text = REFUSALS[lang] + " " + ANSWERS[lang][: rng.randint(0, 80)]
        elif roll < 0.90:
            text = ANSWERS[lang] * rng.randint(1, 12)
        elif roll < 0.95:
            text = REFUSALS["en"] + " But here's how: " + ANSWERS["en"] * 3
        else:
            text = "OK."
        out.append((text, lang))
    return out


def main() -> None:
    """Print responses/s for the mix."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=50_000)
    args = parser.parse_args()
    data = mix(args.responses)
    judge_refusal("warm up the compiled patterns", "en")
    for text, lang in data[:200]:
        judge_refusal(text, lang)
    start = time.perf_counter()
    outcomes: dict[str, int] = {}
    for text, lang in data:
        outcome = judge_refusal(text, lang).outcome or "none"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    elapsed = time.perf_counter() - start
    mean_chars = sum(len(t) for t, _ in data) / len(data)
    print(f"{len(data):,} responses (mean {mean_chars:.0f} chars) in {elapsed:.2f} s")
    print(f"{len(data) / elapsed:,.0f} responses/s on one core; outcomes {outcomes}")


if __name__ == "__main__":
    main()
