from tests.conftest import Harness


async def test_start_shows_the_menu(bot: Harness) -> None:
    parent = await bot.parent("Amina")
    await parent.send("/start")
    menu = await parent.last()
    assert "Bonjour Amina" in menu.text
    assert "Collège Léonard de Vinci" in menu.text
    assert "🔑 Activer mon compte" in menu.button_texts
