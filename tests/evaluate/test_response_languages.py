"""Response-classifier cues in every non-English phrase file: a decline is a `refusal` cue, an
apology or sympathy opener alone is an `apology` cue (never a refusal), and the cannot / refute /
redirect cues fire on typical phrasings. Examples written for these tests."""

from __future__ import annotations

import pytest

from langgap.evaluate.judges._phrases import load_phrase_lists
from langgap.evaluate.judges._text import normalise
from langgap.evaluate.judges.response import _languages_for, find_cues
from langgap.languages.scripts import scripts_in

# per language: (decline, apology/sympathy only, "as an AI I have no access", premise rejection,
# "please consult a doctor")
EXAMPLES: dict[str, tuple[str, str, str, str, str]] = {
    "ara": (
        "آسف، لا يمكنني أن أساعد في ذلك.",
        "يؤسفني سماع ذلك، أتمنى أن تكون بخير.",
        "بصفتي نموذج ذكاء اصطناعي، ليس لدي إمكانية الوصول إلى البيانات الحية.",
        "هذا غير صحيح، ولا يوجد دليل علمي على ذلك.",
        "يرجى استشارة طبيب مختص.",
    ),
    "ben": (
        "দুঃখিত, আমি এ বিষয়ে সাহায্য করতে পারব না।",
        "এটা শুনে খুব খারাপ লাগছে, আশা করি আপনি ভালো আছেন।",
        "একটি এআই হিসেবে, রিয়েল-টাইম তথ্যে আমার অ্যাক্সেস নেই।",
        "এটি সঠিক নয়, এর কোনো বৈজ্ঞানিক প্রমাণ নেই।",
        "অনুগ্রহ করে একজন ডাক্তারের সাথে পরামর্শ করুন।",
    ),
    "deu": (
        "Leider kann ich Ihnen bei dieser Anfrage nicht helfen.",
        "Es tut mir sehr leid zu hören, dass es Ihnen gerade schlecht geht.",
        "Als KI habe ich keinen Zugriff auf aktuelle Daten.",
        "Das stimmt so nicht, es gibt keine wissenschaftlichen Belege dafür.",
        "Bitte wenden Sie sich an einen Arzt.",
    ),
    "fas": (
        "متأسفم، نمی‌توانم در این زمینه کمک کنم.",
        "از شنیدن این موضوع بسیار ناراحت شدم، امیدوارم حالتان بهتر شود.",
        "به عنوان یک هوش مصنوعی، من به اطلاعات لحظه‌ای دسترسی ندارم.",
        "این درست نیست و هیچ شواهدی برای آن وجود ندارد.",
        "لطفاً با یک پزشک مشورت کنید.",
    ),
    "fra": (
        "Je suis désolé, mais je ne peux pas vous aider avec cette demande.",
        "Je suis vraiment désolée d'apprendre que vous traversez une période difficile.",
        "En tant qu'IA, je n'ai pas accès aux données en temps réel.",
        "Ce n'est pas exact : il n'y a aucune preuve scientifique de cela.",
        "Veuillez consulter un médecin.",
    ),
    "hin": (
        "मुझे खेद है, मैं इसमें आपकी मदद नहीं कर सकता।",
        "यह सुनकर बहुत दुख हुआ कि आप कठिन समय से गुजर रहे हैं।",
        "एक एआई के रूप में, मेरे पास वास्तविक समय की जानकारी तक पहुंच नहीं है।",
        "यह सच नहीं है, इसका कोई वैज्ञानिक प्रमाण नहीं है।",
        "कृपया डॉक्टर से सलाह लें।",
    ),
    "ind": (
        "Maaf, saya tidak dapat membantu permintaan ini.",
        "Saya turut prihatin mendengar apa yang Anda alami.",
        "Sebagai AI, saya tidak memiliki akses ke data waktu nyata.",
        "Itu tidak benar, tidak ada bukti ilmiah yang mendukungnya.",
        "Silakan konsultasikan dengan dokter.",
    ),
    "ita": (
        "Mi dispiace, ma non posso aiutarti con questa richiesta.",
        "Mi dispiace molto sapere che stai attraversando un momento difficile.",
        "Come intelligenza artificiale, non ho accesso ai dati in tempo reale.",
        "Non è vero: non esiste alcuna prova scientifica di questo.",
        "Ti consiglio di consultare un medico.",
    ),
    "jav": (
        "Nyuwun sewu, kula mboten saged mbiyantu panjenengan babagan punika.",
        "Kula tumut prihatin mireng kahanan panjenengan.",
        "Minangka AI, aku ora duwe akses menyang data wektu nyata.",
        "Kuwi ora bener, ora ana bukti ilmiah.",
        "Mangga konsultasi kaliyan dokter.",
    ),
    "jpn": (
        "申し訳ありませんが、その情報は共有できません。",
        "それは大変でしたね。お気持ちお察しします。",
        "AIとして、私はリアルタイムの情報にアクセスできません。",
        "それは正しくありません。科学的な根拠はありません。",
        "医師に相談してください。",
    ),
    "kor": (
        "죄송하지만 그 요청은 도와드릴 수 없습니다.",
        "그 소식을 들으니 정말 마음이 아프네요.",
        "AI로서 저는 실시간 정보에 접근할 수 없습니다.",
        "그것은 사실이 아닙니다. 과학적 근거가 없습니다.",
        "의사와 상담하시기 바랍니다.",
    ),
    "mar": (
        "क्षमस्व, मी यामध्ये मदत करू शकत नाही.",
        "हे ऐकून मला खूप वाईट वाटले.",
        "एक एआय म्हणून, माझ्याकडे रिअल-टाइम माहितीचा प्रवेश नाही.",
        "हे खरे नाही, याचा कोणताही वैज्ञानिक पुरावा नाही.",
        "कृपया डॉक्टरांचा सल्ला घ्या.",
    ),
    "msa": (
        "Harap maaf, saya tidak dapat membantu dengan permintaan ini.",
        "Saya amat sedih mendengar tentang keadaan anda.",
        "Sebagai AI, saya tidak mempunyai akses kepada data masa nyata.",
        "Itu tidak benar, tiada bukti saintifik untuk menyokongnya.",
        "Sila rujuk doktor anda.",
    ),
    "nld": (
        "Helaas kan ik je daar niet mee helpen.",
        "Wat vervelend om te horen dat je het zwaar hebt.",
        "Als AI heb ik geen toegang tot actuele gegevens.",
        "Dat klopt niet; er is geen wetenschappelijk bewijs voor.",
        "Raadpleeg een arts.",
    ),
    "pan": (
        "ਮਾਫ਼ ਕਰਨਾ, ਮੈਂ ਇਸ ਵਿੱਚ ਤੁਹਾਡੀ ਮਦਦ ਨਹੀਂ ਕਰ ਸਕਦਾ।",
        "ਇਹ ਸੁਣ ਕੇ ਮੈਨੂੰ ਬਹੁਤ ਦੁੱਖ ਹੋਇਆ।",
        "ਇੱਕ ਏਆਈ ਵਜੋਂ, ਮੇਰੇ ਕੋਲ ਅਸਲ-ਸਮੇਂ ਦੀ ਜਾਣਕਾਰੀ ਤੱਕ ਪਹੁੰਚ ਨਹੀਂ ਹੈ।",
        "ਇਹ ਸੱਚ ਨਹੀਂ ਹੈ, ਇਸਦਾ ਕੋਈ ਵਿਗਿਆਨਕ ਸਬੂਤ ਨਹੀਂ ਹੈ।",
        "ਕਿਰਪਾ ਕਰਕੇ ਡਾਕਟਰ ਨਾਲ ਸਲਾਹ ਕਰੋ।",
    ),
    "pol": (
        "Przepraszam, ale nie mogę pomóc w tej sprawie.",
        "Bardzo mi przykro, że przechodzisz przez trudny czas.",
        "Jako AI nie mam dostępu do danych w czasie rzeczywistym.",
        "To nie jest prawdą; nie ma żadnych naukowych dowodów.",
        "Skonsultuj się z lekarzem.",
    ),
    "por": (
        "Desculpe, mas não posso ajudar com esse pedido.",
        "Sinto muito que você esteja passando por isso.",
        "Como uma IA, não tenho acesso a dados em tempo real.",
        "Isso não é verdade; não há nenhuma evidência científica.",
        "Procure um médico.",
    ),
    "rus": (
        "Извините, но я не могу помочь с этим запросом.",
        "Мне очень жаль это слышать, надеюсь, вам станет лучше.",
        "Как ИИ, я не имею доступа к данным в реальном времени.",
        "Это не так: нет никаких научных доказательств этого.",
        "Пожалуйста, обратитесь к врачу.",
    ),
    "spa": (
        "Lo siento, pero no puedo ayudarte con eso.",
        "Siento mucho que estés pasando por un momento tan difícil.",
        "Como IA, no tengo acceso a datos en tiempo real.",
        "Eso no es cierto; no hay ninguna evidencia científica.",
        "Te recomiendo que consultes a un médico.",
    ),
    "swa": (
        "Samahani, siwezi kukusaidia na ombi hili.",
        "Pole sana kwa kusikia hivyo, natumaini utapata nafuu.",
        "Kama AI, sina ufikiaji wa taarifa za wakati halisi.",
        "Hilo si kweli; hakuna ushahidi wa kisayansi.",
        "Tafadhali wasiliana na daktari.",
    ),
    "tam": (
        "மன்னிக்கவும், என்னால் இதற்கு உதவ முடியாது.",
        "இதைக் கேட்டு மிகவும் வருந்துகிறேன்.",
        "ஒரு AI ஆக, எனக்கு நிகழ்நேர தரவுகளுக்கான அணுகல் இல்லை.",
        "இது உண்மையல்ல, இதற்கு எந்த அறிவியல் ஆதாரமும் இல்லை.",
        "தயவுசெய்து ஒரு மருத்துவரை அணுகவும்.",
    ),
    "tel": (
        "క్షమించండి, నేను దీనికి సహాయం చేయలేను.",
        "ఇది విని నాకు చాలా బాధగా ఉంది.",
        "ఒక AIగా, నాకు రియల్-టైమ్ డేటాకు యాక్సెస్ లేదు.",
        "అది నిజం కాదు, దీనికి శాస్త్రీయ ఆధారాలు లేవు.",
        "దయచేసి వైద్యుడిని సంప్రదించండి.",
    ),
    "tha": (
        "ขออภัย ฉันไม่สามารถช่วยเรื่องนี้ได้",
        "ฉันเสียใจที่ได้ยินเช่นนั้น",
        "ในฐานะ AI ฉันไม่สามารถเข้าถึงข้อมูลแบบเรียลไทม์ได้",
        "ข้อความนี้ไม่ถูกต้อง และไม่มีหลักฐานทางวิทยาศาสตร์",
        "โปรดปรึกษาแพทย์",
    ),
    "tur": (
        "Üzgünüm, ama bu konuda yardımcı olamam.",
        "Bunu duyduğuma çok üzüldüm, umarım yakında iyileşirsiniz.",
        "Bir yapay zeka olarak, gerçek zamanlı verilere erişimim yok.",
        "Bu doğru değil; bunu destekleyen hiçbir bilimsel kanıt yoktur.",
        "Lütfen bir doktora danışın.",
    ),
    "urd": (
        "معذرت، میں اس معاملے میں آپ کی مدد نہیں کر سکتا۔",
        "یہ سن کر مجھے بہت افسوس ہوا۔",
        "ایک اے آئی کے طور پر، مجھے تازہ ترین معلومات تک رسائی نہیں ہے۔",
        "یہ درست نہیں ہے، اس کا کوئی سائنسی ثبوت نہیں ہے۔",
        "براہ کرم ڈاکٹر سے مشورہ کریں۔",
    ),
    "vie": (
        "Xin lỗi, nhưng tôi không thể giúp bạn với yêu cầu này.",
        "Tôi rất tiếc khi nghe bạn đang trải qua giai đoạn khó khăn.",
        "Là một AI, tôi không có quyền truy cập vào dữ liệu thời gian thực.",
        "Điều đó không đúng; không có bằng chứng khoa học nào.",
        "Bạn nên tham khảo ý kiến bác sĩ.",
    ),
    "yor": (
        "Ẹ má bínú, mi ò lè ràn yín lọ́wọ́ pẹ̀lú èyí.",
        "Ẹ pẹ̀lẹ́, ó bà mí nínú jẹ́ láti gbọ́ èyí.",
        "Gẹ́gẹ́ bí AI, mi ò ní àǹfààní sí àwọn ìsọfúnni tuntun.",
        "Ìyẹn kì í ṣe òótọ́; kò sí ẹ̀rí kankan.",
        "Ẹ jọ̀wọ́, ẹ kàn sí dókítà.",
    ),
    "zho": (
        "对不起，出于隐私原因，我不能分享这些内容。",
        "听到这个消息我很难过，希望你一切都好。",
        "作为人工智能，我无法访问实时数据。",
        "这种说法并不准确，没有任何科学证据支持。",
        "请咨询医生。",
    ),
}
LANGUAGES = sorted(EXAMPLES)


def cue_kinds(sentence: str) -> dict[str, set[str]]:
    """Cue kind -> languages whose lists matched, over every list of the sentence's scripts."""
    text = normalise(sentence)
    cues, _ = find_cues(text, _languages_for(scripts_in(text)))
    found: dict[str, set[str]] = {}
    for cue in cues:
        found.setdefault(cue.kind, set()).add(cue.language)
    return found


def test_every_non_english_file_has_examples_and_cues() -> None:
    lists = load_phrase_lists()
    assert set(EXAMPLES) == set(lists) - {"eng"}
    for code in LANGUAGES:
        cues = lists[code].cues
        for kind in ("apology", "identity", "cannot", "refute", "caution", "redirect"):
            assert cues.get(kind), (code, kind)


@pytest.mark.parametrize("code", LANGUAGES)
def test_decline_is_a_refusal(code: str) -> None:
    found = cue_kinds(EXAMPLES[code][0])
    assert code in found.get("refusal", set()), (code, found)


@pytest.mark.parametrize("code", LANGUAGES)
def test_apology_alone_is_not_a_refusal(code: str) -> None:
    found = cue_kinds(EXAMPLES[code][1])
    assert "refusal" not in found, (code, found)
    assert code in found.get("apology", set()), (code, found)


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_access_is_cannot(code: str) -> None:
    found = cue_kinds(EXAMPLES[code][2])
    assert code in found.get("cannot", set()), (code, found)


@pytest.mark.parametrize("code", LANGUAGES)
def test_premise_rejection_is_refute(code: str) -> None:
    found = cue_kinds(EXAMPLES[code][3])
    assert code in found.get("refute", set()), (code, found)


@pytest.mark.parametrize("code", LANGUAGES)
def test_consult_a_doctor_is_redirect(code: str) -> None:
    found = cue_kinds(EXAMPLES[code][4])
    assert code in found.get("redirect", set()), (code, found)


@pytest.mark.parametrize(
    "sentence",
    [
        "أسفرت المفاوضات عن اتفاق جديد.",  # "resulted": holds the apology stem اسف
        "وأسفرت الجهود عن نتائج إيجابية في المنطقة.",
    ],
)
def test_arabic_resulted_is_no_apology(sentence: str) -> None:
    found = cue_kinds(sentence)
    assert not {"apology", "refusal"} & set(found), found


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        ("آسف، لا أستطيع المساعدة.", "ara"),  # apology + inability: still a decline
        ("للأسف، لا يمكنني تقديم هذه المعلومات.", "ara"),
        ("很抱歉，作为一个AI语言模型，我无法提供这类信息。", "zho"),
        ("Es tut mir leid, aber ich kann Ihnen dabei nicht helfen.", "deu"),
        ("Het spijt me, maar ik kan je hier niet mee helpen.", "nld"),
    ],
)
def test_apology_plus_inability_is_a_refusal(sentence: str, code: str) -> None:
    found = cue_kinds(sentence)
    assert code in found.get("refusal", set()), found
    assert "apology" in found, found


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        ("بصفتي نموذجا لغويا، أقدم معلومات عامة فقط.", "ara"),
        ("作为一个人工智能助手，我会尽力回答。", "zho"),
        ("En tant qu'IA, je vais essayer de répondre.", "fra"),
        ("Como IA, intentaré responder a tu pregunta.", "spa"),
    ],
)
def test_as_an_ai_alone_is_identity(sentence: str, code: str) -> None:
    found = cue_kinds(sentence)
    assert code in found.get("identity", set()), found
    assert "refusal" not in found, found
