"""Synthetic Chinese news-like text for the benchmarks (topic vocabularies written for Tongpin)."""

import random

# Each synthetic story is about one topic: most of its words come from that topic, the rest are the
# common words every story shares. So a query matches a realistic share of the pool, not all of it.
TOPICS = {
    "flood": "防汛 抗旱 暴雨 山洪 水库 水位 河道 堤防 汛期 降雨 转移 避险 泥石流 滑坡 地质灾害 气象 台风 大风",
    "fire": "森林 防火 火灾 消防 林区 野外用火 火险 扑救 巡护 瞭望 祭祀 烧荒 护林员 防火期 隔离带",
    "safety": "安全生产 隐患 排查 整改 企业 责任 落实 检查 督导 事故 案例 危险化学品 矿山 烟花爆竹 执法",
    "broadcast": "应急广播 预警 信息 发布 终端 播发 村村响 大喇叭 覆盖 乡镇 播控 中心 平台 传输 值班",
    "science": "科普 宣传周 减灾日 安全月 演练 社区 居民 疏散 自救 互救 技能 知识 学校 学生 应急包",
    "zone": "高新区 管委会 招商引资 项目 产业 制造业 园区 签约 投资 开工 投产 产业链 企业家 营商环境 人才",
    "party": "党建 党支部 党员 服务中心 两新组织 路演 品牌 学习 教育 组织 阵地 活动 先锋 示范 书记",
    "culture": "文化 历史 考古 名人 传说 博物馆 非遗 传承 古城 展览 客厅 故事 文物 遗址 城市",
    "commerce": "主播 直播 带货 商品 订单 销售 直播间 粉丝 带货量 电商 助农 品牌 新品 下单 平台",
    "media": "融媒体 新媒体 传统媒体 全媒体 影响力 记者 采访 报道 策划 选题 稿件 渠道 公众号 客户端 短视频",
}
COMMON = (
    "合作 协议 双方 座谈 调研 交流 工作 推进 加强 发挥 作用 机制 常态化 提升 群众 部门 全省 全市 今年 近日 "
    "的 了 在 是 和 与 对 将 把 被 从 为 等 也 都 已经 正在 进一步 全面 深入 积极 有效 重要 主要 相关 有关"
).split()
PUNCT = "，，，。、；"


def _sentences(rng: random.Random, topic_words: list[str], count: int) -> list[str]:
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(topic_words))]
    out = []
    for _ in range(count):
        words = rng.choices(topic_words, weights, k=rng.randint(4, 8)) + rng.choices(COMMON, k=rng.randint(2, 6))
        rng.shuffle(words)
        out.append("".join(words) + rng.choice(PUNCT))
    return out


class Corpus:
    """Sentences per topic, made once; stories are drawn from them quickly."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.topics = {name: _sentences(self.rng, words.split(), 3000) for name, words in TOPICS.items()}

    def story(self) -> tuple[str, str]:
        sentences = self.topics[self.rng.choice(list(self.topics))]
        body, length = [], 0
        target = self.rng.randint(400, 1200)
        while length < target:
            sentence = self.rng.choice(sentences)
            body.append(sentence)
            length += len(sentence)
        return self.rng.choice(sentences)[:24].rstrip("，。、；"), "".join(body)
